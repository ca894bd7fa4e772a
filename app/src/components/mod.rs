//! Reusable pieces of the interface.

pub mod checkbox;
pub mod dom;
pub mod field;
pub mod file;
pub mod icon;
pub mod live;
pub mod modal;
pub mod nav;
pub mod time;
