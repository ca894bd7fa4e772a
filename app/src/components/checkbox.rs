//! A labelled checkbox bound to a signal, with optional help text.

use leptos::prelude::*;

#[component]
pub fn Checkbox(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into)] checked: Signal<bool>,
    on_change: Callback<bool>,
    #[prop(optional, into)] help: MaybeProp<String>,
) -> impl IntoView {
    let label_for = id.clone();
    let help_id = format!("{id}-help");
    let described = {
        let help_id = help_id.clone();
        move || help.with(|h| h.is_some()).then(|| help_id.clone())
    };
    view! {
        <div class="form-check">
            <input
                class="form-check-input"
                type="checkbox"
                id=id
                name=name
                aria-describedby=described
                prop:checked=move || checked.get()
                on:change=move |ev| on_change.run(event_target_checked(&ev))
            />
            <label class="form-check-label" for=label_for>{label}</label>
            {move || help.get().map(|h| view! { <small class="form-text form-check-help" id=help_id.clone()>{h}</small> })}
        </div>
    }
}
