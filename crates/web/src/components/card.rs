//! A summary card: a label, a big value and a line under it.

use leptos::prelude::*;

/// How a card stands out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tone {
    #[default]
    Plain,
    /// The page's headline figure.
    Primary,
    /// A figure that wants attention (unallocated spend).
    Warn,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Self::Plain => "card",
            Self::Primary => "card primary",
            Self::Warn => "card warn",
        }
    }
}

#[component]
pub fn Card(
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    #[prop(into)] sub: String,
    #[prop(optional)] tone: Tone,
) -> impl IntoView {
    view! {
        <div class=tone.class()>
            <div class="label">{label}</div>
            <div class="value">{value}</div>
            <div class="sub">{sub}</div>
        </div>
    }
}
