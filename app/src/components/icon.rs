//! Inline SVG icons. Emoji render as empty boxes where the system has no emoji font (Debian's
//! chromium without fonts-noto-color-emoji), so every symbol the interface needs is drawn here.
//! They inherit the text colour and are hidden from assistive technology: the control carrying
//! one has its own label.

use leptos::prelude::*;

/// The icons the interface uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    Lock,
    Pencil,
    Trash,
    Copy,
    Plus,
    Sort,
}

impl IconName {
    /// The path data (24×24 view box, stroked).
    fn path(self) -> &'static str {
        match self {
            IconName::Lock => "M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z",
            IconName::Pencil => "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
            IconName::Trash => "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13",
            IconName::Copy => "M9 9h11v11H9zM5 15H4V4h11v1",
            IconName::Plus => "M12 5v14M5 12h14",
            IconName::Sort => "M7 4v16M3 16l4 4 4-4M17 20V4M13 8l4-4 4 4",
        }
    }
}

#[component]
pub fn Icon(name: IconName) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d=name.path() />
        </svg>
    }
}
