//! The browser's end of the live event stream (`GET /api/events`): after hydration a page subscribes
//! with `EventSource`, which reconnects by itself when the server restarts or the network drops. On
//! the server (and without JavaScript) this does nothing: the page is complete as rendered.

use crate::events::LiveEvent;

/// Calls `on_event` for each live event while the calling component lives (in the browser only).
/// After a reconnect it also sends `Resync`, since events may have been missed meanwhile.
pub fn use_live_events(on_event: impl Fn(LiveEvent) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        use leptos::wasm_bindgen::{closure::Closure, JsCast};
        use leptos::web_sys::{EventSource, MessageEvent};
        use std::rc::Rc;

        let Ok(source) = EventSource::new("/api/events") else {
            return;
        };
        let on_event = Rc::new(on_event);
        let handler = {
            let on_event = on_event.clone();
            Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
                if let Some(data) = m.data().as_string() {
                    if let Ok(event) = serde_json::from_slice::<LiveEvent>(data.as_bytes()) {
                        on_event(event);
                    }
                }
            })
        };
        for name in LiveEvent::NAMES {
            let _ = source.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        }
        // `open` fires on the first connection and on every reconnect; only the latter can have
        // missed something.
        let opened = Rc::new(std::cell::Cell::new(false));
        let on_open = Closure::<dyn Fn()>::new(move || {
            if opened.replace(true) {
                on_event(LiveEvent::Resync);
            }
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-live", "subscribed");
        }
        let kept = send_wrapper::SendWrapper::new((source, handler, on_open));
        on_cleanup(move || {
            let (source, _handler, _on_open) = kept.take();
            source.close();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = on_event;
    }
}
