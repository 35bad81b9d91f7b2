//! Why a model could not be loaded. Every message names the file.

use std::path::PathBuf;

/// A model that could not be loaded, with the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file (or an external-data file) could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// What went wrong.
        source: std::io::Error,
        /// The file.
        path: PathBuf,
    },
    /// The bytes are not an ONNX protobuf.
    #[error("{}: not an ONNX model: {reason}", path.display())]
    NotOnnx {
        /// What the decoder saw.
        reason: String,
        /// The file.
        path: PathBuf,
    },
    /// A tensor is inconsistent: dims vs bytes, bad dims, bad external data.
    #[error("{}: tensor `{tensor}`: {problem}", path.display())]
    BadTensor {
        /// The tensor name.
        tensor: String,
        /// What is wrong with it.
        problem: String,
        /// The model file.
        path: PathBuf,
    },
    /// A node reads a value nothing defines.
    #[error("{}: node `{node}` ({op}) reads `{tensor}`, which no graph input, initializer or node defines", path.display())]
    MissingTensor {
        /// The reading node.
        node: String,
        /// Its operator.
        op: String,
        /// The missing value name.
        tensor: String,
        /// The model file.
        path: PathBuf,
    },
    /// Any other structural problem (a value defined twice, an output nothing produces).
    #[error("{}: {problem}", path.display())]
    Malformed {
        /// What is wrong.
        problem: String,
        /// The model file.
        path: PathBuf,
    },
}
