//! Running a model on real inputs and capturing every intermediate tensor.
//!
//! [`inputs`] reads images, `.npy`/`.npz` arrays and NIfTI volumes into [`Array`]s;
//! [`recipe`] turns them into model inputs (resize, layout, scaling, normalisation) and says
//! what it did; [`runner`] runs the model through tract with a hook on every node and hands
//! each output to a [`capture`] policy (summary always, full tensor within a memory budget).

mod array;
pub mod capture;
pub mod inputs;
mod npy;
pub mod recipe;
pub mod runner;

pub use array::Array;
pub use capture::{Capture, Captured, Policy, Stored};
pub use runner::{Engine, InputSpec, Mode, RunError, RunReport};
