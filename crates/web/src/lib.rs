//! tokentally's pages, rendered on the server with Leptos. (Pages arrive with the dashboard
//! issue; the crate exists so the workspace's shape is the one DESIGN.md draws.)
