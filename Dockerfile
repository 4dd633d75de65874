# tokentally: build the binary with the Rust toolchain, run it on a slim Debian.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tokentally-server --bin tokentally
# The islands' client bundle (crates/web compiled to WebAssembly, then wasm-bindgen): installs
# the wasm32 target and wasm-bindgen-cli at Cargo.lock's version, and fails over its size budget.
RUN .ci/client --install

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/tokentally --create-home tokentally
COPY --from=build /src/target/release/tokentally /usr/local/bin/tokentally
COPY --from=build /src/target/client /usr/local/share/tokentally/client
USER tokentally
WORKDIR /var/lib/tokentally
ENV TOKENTALLY_BIND=0.0.0.0:8080 \
    TOKENTALLY_DATABASE_URL=sqlite:///var/lib/tokentally/tokentally.db \
    TOKENTALLY_CLIENT_DIR=/usr/local/share/tokentally/client
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["tokentally"]
CMD ["serve"]
