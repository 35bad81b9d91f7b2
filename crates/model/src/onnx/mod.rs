//! The ONNX loader: protobuf bytes to [`Model`], faithful even where no engine can run it.

pub mod proto;
mod shapes;
pub mod tensor_data;

use crate::graph::{
    scope_from_node_name, Attribute, AttributeValue, Dim, ElemType, Graph, Model, Node, Shape,
    Tensor, TensorData, TensorKind,
};
use crate::LoadError;
use bytes::Bytes;
use prost::Message;
use proto::{attribute_type as at, GraphProto, ModelProto, NodeProto, TypeProto, ValueInfoProto};
use std::collections::HashMap;
use std::path::Path;
use tensor_data::{element_count, tensor_data, MAX_ELEMENTS};

/// Loads an ONNX model file, its external data, and infers the shapes it can.
pub fn load(path: &Path) -> Result<Model, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        source,
        path: path.into(),
    })?;
    load_bytes(Bytes::from(bytes), path)
}

/// Loads a model from bytes already in memory; `path` names it in messages and locates
/// external data.
pub fn load_bytes(bytes: Bytes, path: &Path) -> Result<Model, LoadError> {
    let not_onnx = |reason: String| LoadError::NotOnnx {
        reason,
        path: path.into(),
    };
    if bytes.is_empty() {
        return Err(not_onnx("the file is empty".into()));
    }
    let proto = ModelProto::decode(bytes.clone()).map_err(|e| {
        not_onnx(format!(
            "protobuf decoding failed ({e}); the file may be truncated"
        ))
    })?;
    if proto.ir_version <= 0 {
        return Err(not_onnx(format!(
            "no valid ir_version ({})",
            proto.ir_version
        )));
    }
    let graph_proto = proto
        .graph
        .as_ref()
        .ok_or_else(|| not_onnx("no graph".into()))?;
    let model_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let converter = Converter { path, model_dir };
    let mut graph = converter.graph(graph_proto, &[])?;
    let shape_notes = shapes::infer(&mut graph, &proto, model_dir);
    Ok(Model {
        ir_version: proto.ir_version,
        opsets: proto
            .opset_import
            .iter()
            .map(|o| (o.domain.clone(), o.version))
            .collect(),
        producer: format!("{} {}", proto.producer_name, proto.producer_version)
            .trim()
            .to_string(),
        graph,
        shape_notes,
    })
}

struct Converter<'a> {
    path: &'a Path,
    model_dir: &'a Path,
}

impl Converter<'_> {
    fn malformed(&self, problem: String) -> LoadError {
        LoadError::Malformed {
            problem,
            path: self.path.into(),
        }
    }

    fn bad_tensor(&self, tensor: &str, problem: String) -> LoadError {
        LoadError::BadTensor {
            tensor: tensor.into(),
            problem,
            path: self.path.into(),
        }
    }

    /// Converts one graph; `outer` are the name tables of the enclosing graphs.
    fn graph(
        &self,
        proto: &GraphProto,
        outer: &[&HashMap<String, usize>],
    ) -> Result<Graph, LoadError> {
        let mut graph = Graph {
            name: proto.name.clone(),
            ..Graph::default()
        };
        for init in &proto.initializer {
            let (elem_type, shape, data) =
                tensor_data(init, self.model_dir).map_err(|p| self.bad_tensor(&init.name, p))?;
            self.define(
                &mut graph,
                &init.name,
                TensorKind::Weight,
                elem_type,
                shape,
                None,
            )?
            .data = data;
        }
        for sparse in &proto.sparse_initializer {
            let values = sparse.values.as_ref();
            let name = values.map(|v| v.name.clone()).unwrap_or_default();
            element_count(&sparse.dims).map_err(|p| self.bad_tensor(&name, p))?;
            let elem_type = ElemType::from_onnx(values.map_or(0, |v| v.data_type));
            let shape = Shape::fixed(&sparse.dims.iter().map(|&d| d as u64).collect::<Vec<_>>());
            self.define(
                &mut graph,
                &name,
                TensorKind::Weight,
                elem_type,
                shape,
                None,
            )?;
        }
        for input in &proto.input {
            match graph.tensor_id(&input.name) {
                Some(id) => self.apply_declared_type(&mut graph.tensors[id], input)?,
                None => {
                    let id = graph.tensors.len();
                    self.define(
                        &mut graph,
                        &input.name,
                        TensorKind::Input,
                        ElemType::Unknown(0),
                        Shape::default(),
                        None,
                    )?;
                    self.apply_declared_type(&mut graph.tensors[id], input)?;
                    graph.inputs.push(id);
                }
            }
        }
        // Outputs first, so a node may read a value a later node defines (some tools write
        // nodes out of order); inputs are wired once every name exists.
        for node in &proto.node {
            let node_id = graph.nodes.len();
            let name = node_name(node, node_id);
            let mut outputs = Vec::with_capacity(node.output.len());
            for output in &node.output {
                if output.is_empty() {
                    outputs.push(None);
                    continue;
                }
                let id = graph.tensors.len();
                self.define(
                    &mut graph,
                    output,
                    TensorKind::Activation,
                    ElemType::Unknown(0),
                    Shape::default(),
                    Some(node_id),
                )?;
                outputs.push(Some(id));
            }
            let (attributes, constant) = self.attributes(node)?;
            if let (Some((elem_type, shape, data)), Some(Some(id))) = (constant, outputs.first()) {
                let tensor = &mut graph.tensors[*id];
                tensor.kind = TensorKind::Weight;
                tensor.elem_type = elem_type;
                tensor.shape = shape;
                tensor.data = data;
            }
            graph.nodes.push(Node {
                scope: scope_from_node_name(&node.name),
                name,
                op: node.op_type.clone(),
                domain: node.domain.clone(),
                inputs: Vec::new(),
                outputs,
                attributes,
                subgraphs: Vec::new(),
            });
        }
        let mut outer_names = Vec::new();
        for (node_id, node) in proto.node.iter().enumerate() {
            for input in &node.input {
                if input.is_empty() {
                    graph.nodes[node_id].inputs.push(None);
                    continue;
                }
                let id = match graph.tensor_id(input) {
                    Some(id) => id,
                    None if outer.iter().any(|scope| scope.contains_key(input)) => {
                        outer_names.push(input.clone());
                        let id = graph.tensors.len();
                        self.define(
                            &mut graph,
                            input,
                            TensorKind::Input,
                            ElemType::Unknown(0),
                            Shape::default(),
                            None,
                        )?;
                        id
                    }
                    None => {
                        return Err(LoadError::MissingTensor {
                            node: graph.nodes[node_id].name.clone(),
                            op: node.op_type.clone(),
                            tensor: input.clone(),
                            path: self.path.into(),
                        })
                    }
                };
                graph.nodes[node_id].inputs.push(Some(id));
                graph.tensors[id].consumers.push(node_id);
            }
        }
        self.subgraphs(proto, &mut graph, outer)?;
        for output in &proto.output {
            let id = graph.tensor_id(&output.name).ok_or_else(|| {
                self.malformed(format!(
                    "graph output `{}` is not produced by any node, input or initializer",
                    output.name
                ))
            })?;
            if graph.tensors[id].kind == TensorKind::Activation {
                graph.tensors[id].kind = TensorKind::Output;
            }
            self.apply_declared_type(&mut graph.tensors[id], output)?;
            graph.outputs.push(id);
        }
        for info in &proto.value_info {
            if let Some(id) = graph.tensor_id(&info.name) {
                self.apply_declared_type(&mut graph.tensors[id], info)?;
            }
        }
        outer_names.sort();
        outer_names.dedup();
        graph.outer_names = outer_names;
        graph.mark_fixed_tensors();
        Ok(graph)
    }

    /// Converts graph-valued attributes; a node whose subgraph reads a value of this graph
    /// counts as its consumer.
    fn subgraphs(
        &self,
        proto: &GraphProto,
        graph: &mut Graph,
        outer: &[&HashMap<String, usize>],
    ) -> Result<(), LoadError> {
        for (node_id, node) in proto.node.iter().enumerate() {
            let mut converted = Vec::new();
            for attribute in &node.attribute {
                let bodies = attribute.g.iter().chain(attribute.graphs.iter());
                for body in bodies {
                    let mut scopes: Vec<&HashMap<String, usize>> = outer.to_vec();
                    scopes.push(&graph.by_name);
                    converted.push((attribute.name.clone(), self.graph(body, &scopes)?));
                }
            }
            for (_, sub) in &converted {
                for name in &sub.outer_names {
                    if let Some(id) = graph.tensor_id(name) {
                        graph.tensors[id].consumers.push(node_id);
                    }
                }
            }
            graph.nodes[node_id].subgraphs = converted;
        }
        Ok(())
    }

    fn define<'g>(
        &self,
        graph: &'g mut Graph,
        name: &str,
        kind: TensorKind,
        elem_type: ElemType,
        shape: Shape,
        producer: Option<usize>,
    ) -> Result<&'g mut Tensor, LoadError> {
        if graph.by_name.contains_key(name) {
            return Err(self.malformed(format!("value `{name}` is defined more than once")));
        }
        let id = graph.tensors.len();
        graph.by_name.insert(name.to_string(), id);
        graph.tensors.push(Tensor {
            name: name.into(),
            kind,
            elem_type,
            shape,
            producer,
            consumers: Vec::new(),
            data: None,
        });
        Ok(&mut graph.tensors[id])
    }

    /// Takes the element type and shape a `ValueInfoProto` declares, refusing negative or
    /// absurd dimensions. Values from stored data win over declarations.
    fn apply_declared_type(
        &self,
        tensor: &mut Tensor,
        info: &ValueInfoProto,
    ) -> Result<(), LoadError> {
        let Some((elem_type, shape)) =
            declared_type(info.r#type.as_ref()).map_err(|p| self.bad_tensor(&info.name, p))?
        else {
            return Ok(());
        };
        if tensor.data.is_some() {
            return Ok(());
        }
        if tensor.elem_type == ElemType::Unknown(0) {
            tensor.elem_type = elem_type;
        }
        if shape.0.is_some() {
            tensor.shape = shape;
        }
        Ok(())
    }

    /// Attributes of a node, and for a `Constant` node its value.
    #[allow(clippy::type_complexity)]
    fn attributes(
        &self,
        node: &NodeProto,
    ) -> Result<
        (
            Vec<Attribute>,
            Option<(ElemType, Shape, Option<TensorData>)>,
        ),
        LoadError,
    > {
        let mut constant = None;
        let mut graph_index = 0;
        let mut attributes = Vec::with_capacity(node.attribute.len());
        for a in &node.attribute {
            let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
            let value = match a.r#type {
                at::FLOAT => AttributeValue::Float(a.f),
                at::INT => AttributeValue::Int(a.i),
                at::STRING => AttributeValue::Text(text(&a.s)),
                at::FLOATS => AttributeValue::Floats(a.floats.clone()),
                at::INTS => AttributeValue::Ints(a.ints.clone()),
                at::STRINGS => AttributeValue::Texts(a.strings.iter().map(text).collect()),
                at::TENSOR => match &a.t {
                    Some(t) => AttributeValue::Tensor {
                        dtype: ElemType::from_onnx(t.data_type).name(),
                        shape: t.dims.clone(),
                        values: small_tensor_values(t, self.model_dir),
                    },
                    None => AttributeValue::Other("tensor".into()),
                },
                at::GRAPH | at::GRAPHS => {
                    let count = usize::from(a.g.is_some()) + a.graphs.len();
                    let ids = (graph_index..graph_index + count).collect();
                    graph_index += count;
                    AttributeValue::Graphs(ids)
                }
                at::SPARSE_TENSOR | at::SPARSE_TENSORS => {
                    AttributeValue::Other("sparse tensor".into())
                }
                at::TENSORS => AttributeValue::Other(format!("{} tensors", a.tensors.len())),
                at::TYPE_PROTO | at::TYPE_PROTOS => AttributeValue::Other("type".into()),
                _ => AttributeValue::Other(format!("attribute type {}", a.r#type)),
            };
            if node.op_type == "Constant" && node.domain.is_empty() {
                constant = constant.or(self.constant_value(node, a)?);
            }
            attributes.push(Attribute {
                name: a.name.clone(),
                value,
            });
        }
        Ok((attributes, constant))
    }

    /// The value of a `Constant` node's attribute, as stored data.
    #[allow(clippy::type_complexity)]
    fn constant_value(
        &self,
        node: &NodeProto,
        a: &proto::AttributeProto,
    ) -> Result<Option<(ElemType, Shape, Option<TensorData>)>, LoadError> {
        let output = node.output.first().map(String::as_str).unwrap_or("");
        let le = |bytes: Vec<u8>| {
            Some(TensorData {
                bytes: Bytes::from(bytes),
            })
        };
        use glassbox_tensor::DType;
        Ok(match a.name.as_str() {
            "value" => match &a.t {
                Some(t) => {
                    Some(tensor_data(t, self.model_dir).map_err(|p| self.bad_tensor(output, p))?)
                }
                None => None,
            },
            "value_float" => Some((
                ElemType::Numeric(DType::F32),
                Shape::fixed(&[]),
                le(a.f.to_le_bytes().to_vec()),
            )),
            "value_int" => Some((
                ElemType::Numeric(DType::I64),
                Shape::fixed(&[]),
                le(a.i.to_le_bytes().to_vec()),
            )),
            "value_floats" => Some((
                ElemType::Numeric(DType::F32),
                Shape::fixed(&[a.floats.len() as u64]),
                le(a.floats.iter().flat_map(|v| v.to_le_bytes()).collect()),
            )),
            "value_ints" => Some((
                ElemType::Numeric(DType::I64),
                Shape::fixed(&[a.ints.len() as u64]),
                le(a.ints.iter().flat_map(|v| v.to_le_bytes()).collect()),
            )),
            "value_string" => Some((ElemType::String, Shape::fixed(&[]), None)),
            "value_strings" => Some((
                ElemType::String,
                Shape::fixed(&[a.strings.len() as u64]),
                None,
            )),
            _ => None,
        })
    }
}

/// The values of a tensor attribute of at most 16 numeric elements (fill values, scales).
fn small_tensor_values(t: &proto::TensorProto, model_dir: &Path) -> Option<Vec<f64>> {
    if element_count(&t.dims).ok()? > 16 {
        return None;
    }
    let (ElemType::Numeric(dtype), _, Some(data)) = tensor_data(t, model_dir).ok()? else {
        return None;
    };
    let mut values = Vec::new();
    glassbox_tensor::for_each_le_value(dtype, &data.bytes, |v| values.push(v));
    Some(values)
}

fn node_name(node: &NodeProto, index: usize) -> String {
    if !node.name.is_empty() {
        node.name.clone()
    } else if let Some(first) = node.output.iter().find(|o| !o.is_empty()) {
        first.clone()
    } else {
        format!("{}_{index}", node.op_type)
    }
}

/// Element type and shape declared by a `TypeProto`; `None` for non-tensor types.
fn declared_type(t: Option<&TypeProto>) -> Result<Option<(ElemType, Shape)>, String> {
    use proto::tensor_shape_proto::dimension::Value as D;
    use proto::type_proto::Value;
    let Some(Value::TensorType(tensor) | Value::SparseTensorType(tensor)) =
        t.and_then(|t| t.value.as_ref())
    else {
        return Ok(None);
    };
    let Some(shape) = &tensor.shape else {
        return Ok(Some((ElemType::from_onnx(tensor.elem_type), Shape(None))));
    };
    let mut dims = Vec::with_capacity(shape.dim.len());
    let mut fixed = 1u64;
    for d in &shape.dim {
        dims.push(match &d.value {
            Some(D::DimValue(v)) => {
                let v = u64::try_from(*v).map_err(|_| format!("declared shape has negative dimension {v}"))?;
                fixed = fixed.checked_mul(v).filter(|&n| n <= MAX_ELEMENTS).ok_or_else(|| {
                    format!("declared shape has an absurd dimension {v} (more than 2^48 elements in all)")
                })?;
                Dim::Fixed(v)
            }
            Some(D::DimParam(p)) if !p.is_empty() => Dim::Symbol(p.clone()),
            _ => Dim::Unknown,
        });
    }
    Ok(Some((
        ElemType::from_onnx(tensor.elem_type),
        Shape(Some(dims)),
    )))
}
