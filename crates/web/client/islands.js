// The islands' loader. tokentally serves it beside the client bundle it belongs to
// (/pkg/<hash>/islands.js) and the document's head names it, as a module: it runs once the page
// is parsed. On a page without an island it does nothing; on one with islands it instantiates
// the bundle (tokentally_web.js and its .wasm, made by `.ci/client`) and hydrates each
// <leptos-island> through the function the bundle exports for it, as Leptos's own island script
// does (leptos 0.8, src/hydration/island_script.js). It is a file, not an inline script, so the
// pages' Content-Security-Policy still allows no inline script.
const islands = document.querySelectorAll("leptos-island");
if (islands.length > 0) {
  const bundle = await import("./tokentally_web.js");
  await bundle.default({ module_or_path: new URL("tokentally_web_bg.wasm", import.meta.url) });
  bundle.hydrate();

  // The callbacks of the <leptos-children> being walked: an island inside another island's
  // children hydrates under that island's reactive owner.
  const childrenCallbacks = [];

  async function hydrateIsland(el) {
    const id = el.dataset.component;
    const islandFn = bundle[id];
    if (!islandFn) {
      console.warn(`tokentally: the client bundle has no island ${id}; it stays static`);
      return;
    }
    const onHydrate = childrenCallbacks[childrenCallbacks.length - 1];
    if (onHydrate) {
      onHydrate();
    }
    const result = islandFn(el);
    if (result && result.then) {
      await result;
    }
  }

  async function walk(node) {
    const tag = node.tagName.toLowerCase();
    if (tag === "leptos-island") {
      await hydrateIsland(node);
    }
    if (tag === "leptos-children") {
      childrenCallbacks.push(node.$$on_hydrate);
    }
    for (const child of Array.from(node.children)) {
      await walk(child);
    }
    if (tag === "leptos-children") {
      childrenCallbacks.pop();
    }
  }

  await walk(document.body);
  document.documentElement.dataset.islands = "hydrated";

  // A filter island swapped in another <main> (and pushed its address): hydrate its islands.
  // Back and Forward across those addresses load the page they name; a change of the
  // fragment alone (#section) is not another page.
  let shown = location.pathname + location.search;
  document.addEventListener("tokentally:islands", async () => {
    shown = location.pathname + location.search;
    document.documentElement.dataset.islands = "hydrating";
    const main = document.querySelector("main");
    if (main) {
      await walk(main);
    }
    document.documentElement.dataset.islands = "hydrated";
  });
  window.addEventListener("popstate", () => {
    if (location.pathname + location.search !== shown) {
      location.reload();
    }
  });
}
