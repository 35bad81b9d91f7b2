//! glassbox's own graph: nodes, tensors, shapes and module scopes, independent of any engine.

use bytes::Bytes;
use glassbox_tensor::DType;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;
/// Index of a tensor in [`Graph::tensors`].
pub type TensorId = usize;

/// One dimension of a tensor shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A known size.
    Fixed(u64),
    /// A named size fixed only at run time, like `batch`.
    Symbol(String),
    /// A size nobody could tell.
    Unknown,
}

/// The shape of a tensor; `None` when even the rank is unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Shape(pub Option<Vec<Dim>>);

impl Shape {
    /// A fully known shape.
    pub fn fixed(dims: &[u64]) -> Shape {
        Shape(Some(dims.iter().map(|&d| Dim::Fixed(d)).collect()))
    }

    /// The dimensions, when the rank is known.
    pub fn dims(&self) -> Option<&[Dim]> {
        self.0.as_deref()
    }

    /// Whether any part of the shape is unknown (symbols count as known).
    pub fn is_partly_unknown(&self) -> bool {
        match &self.0 {
            None => true,
            Some(dims) => dims.contains(&Dim::Unknown),
        }
    }

    /// The sizes, when every dimension is a fixed number.
    pub fn fixed_dims(&self) -> Option<Vec<u64>> {
        self.0
            .as_ref()?
            .iter()
            .map(|d| match d {
                Dim::Fixed(n) => Some(*n),
                _ => None,
            })
            .collect()
    }

    /// Element count, taking each symbolic dimension as 1 (one sample of a batch).
    pub fn numel_per_sample(&self) -> Option<u64> {
        self.0.as_ref()?.iter().try_fold(1u64, |acc, d| match d {
            Dim::Fixed(n) => acc.checked_mul(*n),
            Dim::Symbol(_) => Some(acc),
            Dim::Unknown => None,
        })
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => write!(f, "?"),
            Some(dims) => {
                let parts: Vec<String> = dims
                    .iter()
                    .map(|d| match d {
                        Dim::Fixed(n) => n.to_string(),
                        Dim::Symbol(s) => s.clone(),
                        Dim::Unknown => "?".into(),
                    })
                    .collect();
                write!(f, "{}", parts.join("×"))
            }
        }
    }
}

/// JSON form: an array of numbers, symbol strings and `null` for unknown dimensions; `null`
/// for an unknown rank.
impl Serialize for Shape {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            None => serializer.serialize_none(),
            Some(dims) => serializer.collect_seq(dims.iter().map(|d| match d {
                Dim::Fixed(n) => serde_json_like::Value::Number(*n),
                Dim::Symbol(s) => serde_json_like::Value::Text(s),
                Dim::Unknown => serde_json_like::Value::Null,
            })),
        }
    }
}

mod serde_json_like {
    /// A dimension in JSON.
    pub enum Value<'a> {
        Number(u64),
        Text(&'a str),
        Null,
    }
    impl serde::Serialize for Value<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Value::Number(n) => s.serialize_u64(*n),
                Value::Text(t) => s.serialize_str(t),
                Value::Null => s.serialize_none(),
            }
        }
    }
}

/// ONNX element types, numeric or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElemType {
    /// A numeric type glassbox can summarise.
    Numeric(DType),
    /// `string`.
    String,
    /// Complex, 8-bit and 4-bit float and 4-bit int types: shown, not summarised.
    Other(&'static str),
    /// Type code 0 or one this version does not know.
    Unknown(i32),
}

impl ElemType {
    /// The element type for an ONNX `TensorProto.DataType` code.
    pub fn from_onnx(code: i32) -> ElemType {
        use ElemType::{Numeric as N, Other as O};
        match code {
            1 => N(DType::F32),
            2 => N(DType::U8),
            3 => N(DType::I8),
            4 => N(DType::U16),
            5 => N(DType::I16),
            6 => N(DType::I32),
            7 => N(DType::I64),
            8 => ElemType::String,
            9 => N(DType::Bool),
            10 => N(DType::F16),
            11 => N(DType::F64),
            12 => N(DType::U32),
            13 => N(DType::U64),
            14 => O("complex64"),
            15 => O("complex128"),
            16 => N(DType::BF16),
            17 => O("float8e4m3fn"),
            18 => O("float8e4m3fnuz"),
            19 => O("float8e5m2"),
            20 => O("float8e5m2fnuz"),
            21 => O("uint4"),
            22 => O("int4"),
            23 => O("float4e2m1"),
            other => ElemType::Unknown(other),
        }
    }

    /// Bits per element, when fixed.
    pub fn bits(self) -> Option<u64> {
        match self {
            ElemType::Numeric(d) => Some(8 * d.size_bytes() as u64),
            ElemType::Other("complex64") => Some(64),
            ElemType::Other("complex128") => Some(128),
            ElemType::Other("uint4" | "int4" | "float4e2m1") => Some(4),
            ElemType::Other(_) => Some(8),
            ElemType::String | ElemType::Unknown(_) => None,
        }
    }

    /// Name as numpy spells it (`float32`), or the ONNX name for types numpy lacks.
    pub fn name(self) -> String {
        match self {
            ElemType::Numeric(d) => d.name().into(),
            ElemType::String => "string".into(),
            ElemType::Other(name) => name.into(),
            ElemType::Unknown(0) => "unknown".into(),
            ElemType::Unknown(code) => format!("onnx-type-{code}"),
        }
    }

    /// Whether the type is floating point (weights and activations, not indices or shapes).
    pub fn is_float(self) -> bool {
        match self {
            ElemType::Numeric(d) => d.is_float(),
            ElemType::Other(name) => name.starts_with("float"),
            _ => false,
        }
    }
}

/// What role a tensor plays in the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TensorKind {
    /// A graph input fed at run time.
    Input,
    /// A graph output.
    Output,
    /// A value stored in the file: an initializer or a `Constant` node's value.
    Weight,
    /// An intermediate value computed by a node.
    Activation,
}

/// A tensor's stored values: little-endian bytes of its element type, as ONNX `raw_data` holds
/// them, whatever field or external file they came from.
#[derive(Clone, Debug)]
pub struct TensorData {
    /// The bytes, `numel × size` long for numeric types.
    pub bytes: Bytes,
}

/// A named value in the graph.
#[derive(Clone, Debug)]
pub struct Tensor {
    /// ONNX value name.
    pub name: String,
    /// Its role.
    pub kind: TensorKind,
    /// Element type.
    pub elem_type: ElemType,
    /// Shape, declared or inferred.
    pub shape: Shape,
    /// The node computing it, if any.
    pub producer: Option<NodeId>,
    /// The nodes reading it, in node order; a node reading it twice appears twice.
    pub consumers: Vec<NodeId>,
    /// Stored values of weights.
    pub data: Option<TensorData>,
}

/// A value of a node attribute.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// `f`.
    Float(f32),
    /// `i`.
    Int(i64),
    /// `s`, lossily decoded as UTF-8.
    Text(String),
    /// `floats`.
    Floats(Vec<f32>),
    /// `ints`.
    Ints(Vec<i64>),
    /// `strings`.
    Texts(Vec<String>),
    /// A tensor value, summarised by its dtype and shape, with the values when small.
    Tensor {
        /// Element type name.
        dtype: String,
        /// Dimensions.
        shape: Vec<i64>,
        /// The values, for tensors of at most 16 numeric elements.
        values: Option<Vec<f64>>,
    },
    /// Subgraphs, by their index in [`Node::subgraphs`].
    Graphs(Vec<usize>),
    /// Types, sparse tensors and other kinds glassbox keeps only by name.
    Other(String),
}

/// A node attribute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Its value.
    pub value: AttributeValue,
}

/// An operator application.
#[derive(Clone, Debug)]
pub struct Node {
    /// Node name (the exporter's, or made from its first output when empty).
    pub name: String,
    /// ONNX operator type, like `Conv`.
    pub op: String,
    /// Operator domain (`""` is the default ONNX domain).
    pub domain: String,
    /// Input tensors; `None` for an omitted optional input.
    pub inputs: Vec<Option<TensorId>>,
    /// Output tensors; `None` for an omitted optional output.
    pub outputs: Vec<Option<TensorId>>,
    /// Attributes, in file order.
    pub attributes: Vec<Attribute>,
    /// Bodies of `If`/`Loop`/`Scan` and other graph attributes, with the attribute name.
    pub subgraphs: Vec<(String, Graph)>,
    /// Module scope from the exporter's name (`/layer1/layer1.0/conv1/Conv` gives
    /// `layer1/layer1.0/conv1`), empty at top level.
    pub scope: String,
}

impl Node {
    /// The attribute named `name`.
    pub fn attribute(&self, name: &str) -> Option<&AttributeValue> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }

    /// An integer attribute.
    pub fn int_attribute(&self, name: &str) -> Option<i64> {
        match self.attribute(name)? {
            AttributeValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Tensors this node reads, omitted optional inputs skipped.
    pub fn input_ids(&self) -> impl Iterator<Item = TensorId> + '_ {
        self.inputs.iter().flatten().copied()
    }

    /// Tensors this node writes, omitted optional outputs skipped.
    pub fn output_ids(&self) -> impl Iterator<Item = TensorId> + '_ {
        self.outputs.iter().flatten().copied()
    }
}

/// A graph: the model's main graph or a subgraph of a control-flow node.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Graph name.
    pub name: String,
    /// Nodes in file order (ONNX requires topological order; the loader checks it).
    pub nodes: Vec<Node>,
    /// Every named value: inputs, weights, activations, outputs.
    pub tensors: Vec<Tensor>,
    /// Graph inputs fed at run time (initializers listed as inputs are not among them).
    pub inputs: Vec<TensorId>,
    /// Graph outputs.
    pub outputs: Vec<TensorId>,
    /// Names read by this subgraph's nodes but defined in an enclosing graph.
    pub outer_names: Vec<String>,
    pub(crate) by_name: HashMap<String, TensorId>,
    /// Per tensor: fixed at load time (stored, or computed from stored values only, like
    /// the `ConstantOfShape` weights of some exports).
    pub(crate) fixed: Vec<bool>,
}

impl Graph {
    /// The tensor called `name`.
    pub fn tensor_by_name(&self, name: &str) -> Option<&Tensor> {
        self.by_name.get(name).map(|&id| &self.tensors[id])
    }

    /// Id of the tensor called `name`.
    pub fn tensor_id(&self, name: &str) -> Option<TensorId> {
        self.by_name.get(name).copied()
    }

    /// Whether a tensor's value is fixed at load time: stored (an initializer or a
    /// `Constant` output) or computed from stored values only, reading no graph input.
    pub fn is_constant(&self, id: TensorId) -> bool {
        self.fixed.get(id).copied().unwrap_or(false) || self.tensors[id].data.is_some()
    }

    /// Marks which tensors are fixed at load time; called once the graph is wired.
    pub(crate) fn mark_fixed_tensors(&mut self) {
        self.fixed = self.tensors.iter().map(|t| t.data.is_some()).collect();
        // Nodes are normally in topological order, so one pass settles it; files written out
        // of order take a few more.
        for _ in 0..self.nodes.len().max(1) {
            let mut changed = false;
            for node in &self.nodes {
                let reads_outer = node
                    .subgraphs
                    .iter()
                    .any(|(_, g)| !g.outer_names.is_empty());
                let fixed = !reads_outer && node.input_ids().all(|t| self.fixed[t]);
                for out in node.output_ids() {
                    if fixed && !self.fixed[out] {
                        self.fixed[out] = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Nodes that read `id` directly, or from inside one of their subgraphs.
    pub fn consumers(&self, id: TensorId) -> &[NodeId] {
        &self.tensors[id].consumers
    }

    /// Number of nodes, subgraphs included.
    pub fn node_count_deep(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| {
                1 + n
                    .subgraphs
                    .iter()
                    .map(|(_, g)| g.node_count_deep())
                    .sum::<usize>()
            })
            .sum()
    }
}

/// An ONNX model as glassbox sees it.
#[derive(Clone, Debug)]
pub struct Model {
    /// ONNX IR version.
    pub ir_version: i64,
    /// Operator sets imported: domain (`""` = default) and version.
    pub opsets: Vec<(String, i64)>,
    /// Producer name and version, like `pytorch 2.9.0`.
    pub producer: String,
    /// The main graph.
    pub graph: Graph,
    /// Why some shapes are unknown, when the shape inference could not cover everything.
    pub shape_notes: Vec<String>,
}

impl Model {
    /// Version of the default (`ai.onnx`) operator set.
    pub fn default_opset(&self) -> Option<i64> {
        self.opsets
            .iter()
            .find(|(domain, _)| domain.is_empty() || domain == "ai.onnx")
            .map(|(_, v)| *v)
    }
}

/// The module scope of an exporter's node name: its path without the last component.
pub fn scope_from_node_name(name: &str) -> String {
    let trimmed = name.strip_prefix('/').unwrap_or(name);
    match trimmed.rfind('/') {
        Some(end) if name.starts_with('/') => trimmed[..end].to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_come_from_pytorch_node_names() {
        assert_eq!(
            scope_from_node_name("/layer1/layer1.0/conv1/Conv"),
            "layer1/layer1.0/conv1"
        );
        assert_eq!(scope_from_node_name("/Flatten"), "");
        assert_eq!(scope_from_node_name("conv1"), "");
        assert_eq!(scope_from_node_name("/fc/Gemm"), "fc");
    }

    #[test]
    fn shapes_print_with_symbols_and_unknowns() {
        let shape = Shape(Some(vec![
            Dim::Symbol("batch".into()),
            Dim::Fixed(3),
            Dim::Unknown,
        ]));
        assert_eq!(shape.to_string(), "batch×3×?");
        assert!(shape.is_partly_unknown());
        assert_eq!(shape.numel_per_sample(), None);
        assert_eq!(Shape::fixed(&[2, 3]).numel_per_sample(), Some(6));
    }
}
