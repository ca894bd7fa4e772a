//! A labelled checkbox bound to a signal.

use leptos::prelude::*;

#[component]
pub fn Checkbox(
    id: String,
    name: String,
    label: String,
    #[prop(into)] checked: Signal<bool>,
    on_change: Callback<bool>,
) -> impl IntoView {
    let label_for = id.clone();
    view! {
        <div class="form-check">
            <input
                class="form-check-input"
                type="checkbox"
                id=id
                name=name
                prop:checked=move || checked.get()
                on:change=move |ev| on_change.run(event_target_checked(&ev))
            />
            <label class="form-check-label" for=label_for>{label}</label>
        </div>
    }
}
