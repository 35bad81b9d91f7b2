//! The model as a graph, loaded faithfully from ONNX even where no engine can run it.
//!
//! [`load`] decodes the protobuf with glassbox's own message structs ([`onnx::proto`]), reads
//! initializers inline or from external files beside the model, keeps `If`/`Loop`/`Scan`
//! bodies as nested graphs, parses module scopes from exporter names, and infers the shapes
//! of intermediate tensors where it can. [`lint`] finds wiring mistakes; [`cost`] counts
//! parameters and multiply-accumulates.

pub mod cost;
pub mod engine;
mod error;
pub mod graph;
pub mod lint;
pub mod onnx;

pub use error::LoadError;
pub use graph::{Dim, ElemType, Graph, Model, Node, NodeId, Shape, Tensor, TensorId, TensorKind};
pub use onnx::load;
