//! Reusable pieces of the interface.

pub mod checkbox;
pub mod dom;
pub mod field;
pub mod live;
pub mod modal;
pub mod nav;
pub mod time;
