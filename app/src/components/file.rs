//! Reading a file the user picked in an `<input type="file">`, in the browser (the text goes into a
//! form field; nothing is uploaded until the form is sent).

/// Reads the first picked file as text and hands `(file name, text)` or an error message to `done`.
pub fn read_picked_file(
    _ev: &leptos::ev::Event,
    _done: impl FnOnce(Result<(String, String), String>) + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let file = _ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        if let Some(file) = file {
            let name = file.name();
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                _done(match text.ok().and_then(|t| t.as_string()) {
                    Some(t) => Ok((name, t)),
                    None => Err(format!("Could not read {name} as text")),
                });
            });
        }
    }
}
