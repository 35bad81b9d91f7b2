//! The JSON documents of DESIGN.md's contract, built from the lower layers' types. The text
//! output is rendered from the same structs, so both always say the same thing.

use glassbox_model::cost::{node_macs, node_params};
use glassbox_model::graph::{AttributeValue, Graph, Model, Shape, TensorKind};
use glassbox_model::lint::Finding;
use glassbox_tensor::{Histogram, Moments, Summary};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// `glassbox inspect --json`.
#[derive(Serialize)]
pub struct InspectReport {
    /// The file and its header facts.
    pub model: ModelInfo,
    /// Every node of the main graph, in file order.
    pub nodes: Vec<NodeReport>,
    /// Every named tensor of the main graph.
    pub tensors: Vec<TensorReport>,
    /// Lint findings, most severe first.
    pub lint: Vec<Finding>,
    /// Total parameters (floating-point stored elements).
    pub params: u64,
    /// Totals over the graph.
    pub totals: Totals,
}

/// Header facts of the model file.
#[derive(Serialize)]
pub struct ModelInfo {
    /// Path as given.
    pub path: String,
    /// ONNX IR version.
    pub ir_version: i64,
    /// Operator set versions by domain (`""` is the default domain).
    pub opsets: BTreeMap<String, i64>,
    /// Producer name and version.
    pub producer: String,
    /// Why some shapes are unknown, if any are.
    pub shape_notes: Vec<String>,
}

/// One node.
#[derive(Serialize)]
pub struct NodeReport {
    /// Node name.
    pub name: String,
    /// Operator type.
    pub op: String,
    /// Operator domain (`""` default).
    pub domain: String,
    /// Input tensor names (`""` for an omitted optional input).
    pub inputs: Vec<String>,
    /// Output tensor names.
    pub outputs: Vec<String>,
    /// Module scope from the exporter's naming.
    pub scope: String,
    /// Parameters the node reads.
    pub params: u64,
    /// Multiply-accumulates per sample, for Conv/ConvTranspose/Gemm/MatMul with known shapes.
    pub macs: Option<u64>,
    /// Whether every output is fixed at load time (constants, identities of weights, fills).
    pub constant: bool,
    /// Attributes by name.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Node counts of subgraphs (If/Loop/Scan bodies), by attribute name.
    pub subgraphs: Vec<SubgraphReport>,
}

/// A nested graph, summarised.
#[derive(Serialize)]
pub struct SubgraphReport {
    /// Attribute holding it (`then_branch`, `body`, ...).
    pub attribute: String,
    /// Nodes in it, nested ones included.
    pub nodes: usize,
    /// Values it reads from enclosing graphs.
    pub outer_names: Vec<String>,
}

/// One tensor.
#[derive(Serialize)]
pub struct TensorReport {
    /// ONNX value name.
    pub name: String,
    /// `weight`, `input`, `output` or `activation`.
    pub kind: TensorKind,
    /// Dimensions: numbers, symbol names, `null` for unknown.
    pub shape: Shape,
    /// Element type.
    pub dtype: String,
    /// Producing node, if any.
    pub producer: Option<String>,
    /// Statistics of stored values (weights); `null` otherwise.
    pub stats: Option<Moments>,
    /// Histogram of stored values; `null` otherwise.
    pub histogram: Option<Histogram>,
}

/// Totals over the graph.
#[derive(Serialize)]
pub struct Totals {
    /// Floating-point stored elements.
    pub params: u64,
    /// Multiply-accumulates per sample over the nodes where they are known.
    pub macs: u64,
    /// Bytes of all stored tensors.
    pub weights_bytes: u64,
    /// Nodes of the main graph.
    pub nodes: usize,
    /// Nodes including subgraphs.
    pub nodes_deep: usize,
    /// Node count by operator type.
    pub ops: BTreeMap<String, usize>,
}

impl InspectReport {
    /// Builds the report; `summaries` are the weight summaries the lint rules also used.
    pub fn new(
        path: &str,
        model: &Model,
        summaries: &HashMap<usize, Summary>,
        lint: Vec<Finding>,
    ) -> InspectReport {
        let graph = &model.graph;
        let nodes: Vec<NodeReport> = graph.nodes.iter().map(|n| node_report(graph, n)).collect();
        let mut ops = BTreeMap::new();
        for node in &graph.nodes {
            *ops.entry(node.op.clone()).or_insert(0) += 1;
        }
        let totals = Totals {
            params: glassbox_model::cost::total_params(graph),
            macs: nodes.iter().filter_map(|n| n.macs).sum(),
            weights_bytes: glassbox_model::cost::weights_bytes(graph),
            nodes: graph.nodes.len(),
            nodes_deep: graph.node_count_deep(),
            ops,
        };
        let tensors = graph
            .tensors
            .iter()
            .enumerate()
            .map(|(id, t)| TensorReport {
                name: t.name.clone(),
                kind: t.kind,
                shape: t.shape.clone(),
                dtype: t.elem_type.name(),
                producer: t.producer.map(|p| graph.nodes[p].name.clone()),
                stats: summaries.get(&id).map(|s| s.moments.clone()),
                histogram: summaries.get(&id).map(|s| s.histogram.clone()),
            })
            .collect();
        InspectReport {
            model: ModelInfo {
                path: path.to_string(),
                ir_version: model.ir_version,
                opsets: model.opsets.iter().cloned().collect(),
                producer: model.producer.clone(),
                shape_notes: model.shape_notes.clone(),
            },
            nodes,
            tensors,
            lint,
            params: totals.params,
            totals,
        }
    }
}

fn node_report(graph: &Graph, node: &glassbox_model::Node) -> NodeReport {
    let name_of = |t: &Option<usize>| t.map(|t| graph.tensors[t].name.clone()).unwrap_or_default();
    NodeReport {
        name: node.name.clone(),
        op: node.op.clone(),
        domain: node.domain.clone(),
        inputs: node.inputs.iter().map(name_of).collect(),
        outputs: node.outputs.iter().map(name_of).collect(),
        scope: node.scope.clone(),
        params: node_params(graph, node),
        macs: node_macs(graph, node),
        constant: node.output_ids().all(|t| graph.is_constant(t)),
        attributes: node
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value.clone()))
            .collect(),
        subgraphs: node
            .subgraphs
            .iter()
            .map(|(attribute, g)| SubgraphReport {
                attribute: attribute.clone(),
                nodes: g.node_count_deep(),
                outer_names: g.outer_names.clone(),
            })
            .collect(),
    }
}
