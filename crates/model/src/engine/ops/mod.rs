//! ONNX ops glassbox adds to tract's op registry, one module per op family.
//!
//! Each builder turns an ONNX node into tract ops (an `Expansion` wiring tract's core ops, or a
//! small typed op), so the capture hook still sees every node and nothing here interprets a
//! model on its own. The ONNX backend node suite (`tests/node_suite.rs`) measures what this
//! registry runs.

mod array;
mod decode;
mod kernel;
mod linalg;
mod loss;
mod ml;
mod pool;
mod resample;
mod set;
mod text;
mod training;
mod vision;
mod wire;

use std::sync::OnceLock;
use tract_onnx::model::OnnxOpRegister;
use tract_onnx::Onnx;

/// tract's ONNX framework with glassbox's ops registered on top of its own.
pub fn onnx() -> Onnx {
    static ONNX: OnceLock<Onnx> = OnceLock::new();
    ONNX.get_or_init(|| {
        let mut onnx = tract_onnx::onnx();
        register_all(&mut onnx.op_register);
        onnx
    })
    .clone()
}

/// Registers every op family glassbox adds (replacing tract's builder where both exist).
pub fn register_all(register: &mut OnnxOpRegister) {
    register.insert(
        "NegativeLogLikelihoodLoss",
        loss::negative_log_likelihood_loss,
    );
    register.insert("SoftmaxCrossEntropyLoss", loss::softmax_cross_entropy_loss);
    register.insert("LpPool", pool::lp_pool);
    register.insert("MaxUnpool", pool::max_unpool);
    register.insert("CenterCropPad", array::center_crop_pad);
    register.insert("ReverseSequence", array::reverse_sequence);
    register.insert("Binarizer", ml::binarizer);
    register.insert("Upsample", resample::upsample);
    register.insert("AffineGrid", resample::affine_grid);
    register.insert("Det", linalg::det);
    register.insert("Col2Im", vision::col2im);
    register.insert("Unique", set::unique);
    register.insert("Compress", set::compress);
    register.insert("RoiAlign", vision::roi_align);
    register.insert("DeformConv", vision::deform_conv);
    register.insert("TfIdfVectorizer", text::tfidf_vectorizer);
    register.insert("ImageDecoder", decode::image_decoder);
    register.insert("Adagrad", training::adagrad);
    register.insert("Momentum", training::momentum);
    register.insert("Adam", training::adam);
}
