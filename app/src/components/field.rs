//! A labelled form input with its help text and inline error, wired for screen readers.

use leptos::prelude::*;

/// The error line under a field (`{id}-error`, what the input's `aria-describedby` names).
#[component]
pub fn FieldError(#[prop(into)] id: String, messages: Signal<Option<String>>) -> impl IntoView {
    view! {
        {move || messages.get().map(|m| view! { <div class="invalid-feedback" id=format!("{id}-error")>{m}</div> })}
    }
}

/// One text-like `<input>` (text, url, password, number) bound to a signal.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
    /// The field's messages, joined; `None` when it is valid.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(optional, into)] name: MaybeProp<String>,
    #[prop(default = "text".into(), into)] input_type: String,
    #[prop(optional, into)] placeholder: MaybeProp<String>,
    #[prop(optional, into)] help: MaybeProp<String>,
    #[prop(optional, into)] min: MaybeProp<i64>,
    #[prop(optional, into)] max: MaybeProp<i64>,
    #[prop(optional, into)] maxlength: MaybeProp<u32>,
    #[prop(optional, into)] disabled: MaybeProp<bool>,
    #[prop(optional, into)] autocomplete: MaybeProp<String>,
) -> impl IntoView {
    view! {
        <div class="form-group">
            <label for=id.clone() class="form-label">{label}</label>
            <input
                type=input_type
                class="form-control"
                id=id.clone()
                name=move || name.get()
                min=move || min.get().map(|v| v.to_string())
                max=move || max.get().map(|v| v.to_string())
                maxlength=move || maxlength.get().map(|v| v.to_string())
                autocomplete=move || autocomplete.get()
                placeholder=move || placeholder.get()
                disabled=move || disabled.get().unwrap_or(false)
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=format!("{id}-error")
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            />
            {move || help.get().map(|h| view! { <small class="form-text">{h}</small> })}
            <FieldError id=id.clone() messages=error />
        </div>
    }
}
