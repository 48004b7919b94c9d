// include/eigenflow/autodiff/ops/matmul.hpp — matrix products (either side transposed), the fused
// affine layer x·Wᵀ + b, transpose, and block-diagonal batches of products (attention), for plain
// matrices, vars and duals.
//
// Products write straight into arena storage and their backward rules accumulate into the
// operands' adjoints with GEMM's own `+=` (detail::gemm_into: Eigen's kernel, packing buffers
// reused per thread), so neither a temporary nor a heap allocation is made.
#pragma once

#include "eigenflow/autodiff/detail/gemm.hpp"
#include "eigenflow/autodiff/dual.hpp"
#include "eigenflow/autodiff/ops/arithmetic.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/autodiff/tape.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

/// How matmul treats each operand: as is (n) or transposed (t).
enum class product_form { nn, nt, tn };

namespace detail {

inline void check_product(const char* op, product_form form, shape a, shape b) {
  const index_t a_inner = form == product_form::tn ? a.rows : a.cols;
  const index_t b_inner = form == product_form::nt ? b.cols : b.rows;
  require_inner(op, a, b, a_inner, b_inner);
}

inline shape product_shape(product_form form, shape a, shape b) {
  return {form == product_form::tn ? a.cols : a.rows, form == product_form::nt ? b.rows : b.cols};
}

/// out (=, or += when Accumulate) op(a) · op(b) for the given form.
template <bool Accumulate, class Out, class A, class B>
void product_into(Out&& out, product_form form, const A& a, const B& b) {
  switch (form) {
    case product_form::nn: gemm_into<Accumulate>(out, a, b); break;
    case product_form::nt: gemm_into<Accumulate>(out, a, b.transpose()); break;
    case product_form::tn: gemm_into<Accumulate>(out, a.transpose(), b); break;
  }
}

template <class Scalar>
void matmul_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& b = t.node_at(n.inputs[1]);
  const auto g = n.adjoint();
  switch (static_cast<product_form>(n.int_args[0])) {
    case product_form::nn:  // C = A B
      if (a.needs_grad()) gemm_into<true>(a.adjoint(), g, b.value().transpose());
      if (b.needs_grad()) gemm_into<true>(b.adjoint(), a.value().transpose(), g);
      break;
    case product_form::nt:  // C = A Bᵀ
      if (a.needs_grad()) gemm_into<true>(a.adjoint(), g, b.value());
      if (b.needs_grad()) gemm_into<true>(b.adjoint(), g.transpose(), a.value());
      break;
    case product_form::tn:  // C = Aᵀ B
      if (a.needs_grad()) gemm_into<true>(a.adjoint(), b.value(), g.transpose());
      if (b.needs_grad()) gemm_into<true>(b.adjoint(), a.value(), g);
      break;
  }
}

template <class Scalar>
var<Scalar> record_product(const char* op, product_form form, const var<Scalar>& a, const var<Scalar>& b) {
  tape<Scalar>& t = a.owner();
  t.check_operand(op, a);
  t.check_operand(op, b);
  check_product(op, form, a.shape(), b.shape());
  const shape s = product_shape(form, a.shape(), b.shape());
  var<Scalar> y = t.record(op, s.rows, s.cols, {a, b}, &matmul_backward<Scalar>);
  t.node_at(y.id()).int_args[0] = static_cast<index_t>(form);
  product_into<false>(y.output(), form, a.value(), b.value());
  return y;
}

template <class Scalar>
matrix<Scalar> plain_product(const char* op, product_form form, const matrix<Scalar>& a,
                             const matrix<Scalar>& b) {
  check_product(op, form, shape_of(a), shape_of(b));
  const shape s = product_shape(form, shape_of(a), shape_of(b));
  matrix<Scalar> out(s.rows, s.cols);
  product_into<false>(out, form, a, b);
  return out;
}

template <class Scalar>
dual<Scalar> dual_product(product_form form, const dual<Scalar>& a, const dual<Scalar>& b) {
  // (a b)' = a' b + a b'
  const char* op = form == product_form::nn ? "matmul" : (form == product_form::nt ? "matmul_nt" : "matmul_tn");
  const var<Scalar> p = record_product(op, form, a.primal, b.primal);
  const var<Scalar> ta = a.has_tangent() ? record_product(op, form, a.tangent, b.primal) : var<Scalar>();
  const var<Scalar> tb = b.has_tangent() ? record_product(op, form, a.primal, b.tangent) : var<Scalar>();
  return {p, tangent_add(ta, tb, p.shape())};
}

// ---- linear: x Wᵀ + b ----------------------------------------------------------------------

inline void check_linear(shape x, shape w, const shape* b) {
  require_inner("linear", x, w, x.cols, w.cols);
  if (b != nullptr && (b->rows != 1 || b->cols != w.rows)) {
    throw_shape("linear", "bias " + to_string(*b) + " does not fit weight " + to_string(w) +
                              " (expected 1x" + std::to_string(w.rows) + ")");
  }
}

template <class Scalar>
void linear_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& w = t.node_at(n.inputs[1]);
  const auto g = n.adjoint();
  if (x.needs_grad()) gemm_into<true>(x.adjoint(), g, w.value());
  if (w.needs_grad()) gemm_into<true>(w.adjoint(), g.transpose(), x.value());
  if (n.inputs[2] >= 0) {
    const tape_node<Scalar>& b = t.node_at(n.inputs[2]);
    if (b.needs_grad()) b.adjoint() += g.colwise().sum();
  }
}

// ---- transpose -----------------------------------------------------------------------------

template <class Scalar>
void transpose_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& x = t.node_at(n.inputs[0]);
  if (x.needs_grad()) x.adjoint() += n.adjoint().transpose();
}

// ---- block products: G independent products stacked by rows ------------------------------

inline index_t check_blocks(const char* op, product_form form, shape a, shape b, index_t blocks) {
  if (blocks < 1 || a.rows % blocks != 0 || b.rows % blocks != 0) {
    throw_shapes(op, a, b, ("rows must split into " + std::to_string(blocks) + " equal blocks").c_str());
  }
  check_product(op, form, {a.rows / blocks, a.cols}, {b.rows / blocks, b.cols});
  return blocks;
}

/// For block g: out_g (=, +=) op(a_g) op(b_g), where x_g is the g-th of `blocks` row blocks of x.
template <bool Accumulate, class Out, class A, class B>
void block_products(Out&& out, product_form form, const A& a, const B& b, index_t blocks) {
  const index_t ar = a.rows() / blocks, br = b.rows() / blocks, orows = out.rows() / blocks;
  for (index_t g = 0; g < blocks; ++g) {
    auto og = out.middleRows(g * orows, orows);
    product_into<Accumulate>(og, form, a.middleRows(g * ar, ar), b.middleRows(g * br, br));
  }
}

template <class Scalar>
void block_matmul_backward(const tape_node<Scalar>& n, tape<Scalar>& t) {
  const tape_node<Scalar>& a = t.node_at(n.inputs[0]);
  const tape_node<Scalar>& b = t.node_at(n.inputs[1]);
  const index_t blocks = n.int_args[1];
  const auto g = n.adjoint();
  switch (static_cast<product_form>(n.int_args[0])) {
    case product_form::nn:  // C_g = A_g B_g: Ā_g += C̄_g B_gᵀ, B̄_g += A_gᵀ C̄_g
      if (a.needs_grad()) block_products<true>(a.adjoint(), product_form::nt, g, b.value(), blocks);
      if (b.needs_grad()) block_products<true>(b.adjoint(), product_form::tn, a.value(), g, blocks);
      break;
    case product_form::nt:  // C_g = A_g B_gᵀ: Ā_g += C̄_g B_g, B̄_g += C̄_gᵀ A_g
      if (a.needs_grad()) block_products<true>(a.adjoint(), product_form::nn, g, b.value(), blocks);
      if (b.needs_grad()) block_products<true>(b.adjoint(), product_form::tn, g, a.value(), blocks);
      break;
    case product_form::tn:  // C_g = A_gᵀ B_g: Ā_g += B_g C̄_gᵀ, B̄_g += A_g C̄_g
      if (a.needs_grad()) block_products<true>(a.adjoint(), product_form::nt, b.value(), g, blocks);
      if (b.needs_grad()) block_products<true>(b.adjoint(), product_form::nn, a.value(), g, blocks);
      break;
  }
}

template <class Scalar>
var<Scalar> record_block_product(product_form form, const var<Scalar>& a, const var<Scalar>& b,
                                 index_t blocks) {
  const char* op = "block_matmul";
  tape<Scalar>& t = a.owner();
  t.check_operand(op, a);
  t.check_operand(op, b);
  check_blocks(op, form, a.shape(), b.shape(), blocks);
  const shape s = product_shape(form, {a.rows() / blocks, a.cols()}, {b.rows() / blocks, b.cols()});
  var<Scalar> y = t.record(op, s.rows * blocks, s.cols, {a, b}, &block_matmul_backward<Scalar>);
  tape_node<Scalar>& n = t.node_at(y.id());
  n.int_args[0] = static_cast<index_t>(form);
  n.int_args[1] = blocks;
  block_products<false>(y.output(), form, a.value(), b.value(), blocks);
  return y;
}

}  // namespace detail

// ---- matmul: plain, var, dual ---------------------------------------------------------------

/// a·b (form nn), a·bᵀ (nt) or aᵀ·b (tn).
template <class Scalar>
matrix<Scalar> matmul(const matrix<Scalar>& a, const matrix<Scalar>& b, product_form form = product_form::nn) {
  return detail::plain_product("matmul", form, a, b);
}
/// matmul on a tape.
template <class Scalar>
var<Scalar> matmul(const var<Scalar>& a, const var<Scalar>& b, product_form form = product_form::nn) {
  return detail::record_product("matmul", form, a, b);
}
/// matmul for duals, with tangent ȧ·b + a·ḃ (each transposed as `form` says).
template <class Scalar>
dual<Scalar> matmul(const dual<Scalar>& a, const dual<Scalar>& b, product_form form = product_form::nn) {
  return detail::dual_product(form, a, b);
}

/// a·bᵀ.
template <class Value>
  requires value_type<Value>
Value matmul_nt(const Value& a, const Value& b) {
  return matmul(a, b, product_form::nt);
}
/// aᵀ·b.
template <class Value>
  requires value_type<Value>
Value matmul_tn(const Value& a, const Value& b) {
  return matmul(a, b, product_form::tn);
}

// ---- linear ---------------------------------------------------------------------------------

/// x·Wᵀ + b: W is out×in, b is 1×out; one node (the bias add is fused into the product's output).
template <class Scalar>
matrix<Scalar> linear(const matrix<Scalar>& x, const matrix<Scalar>& w, const matrix<Scalar>& b) {
  const detail::shape bs = detail::shape_of(b);
  detail::check_linear(detail::shape_of(x), detail::shape_of(w), &bs);
  matrix<Scalar> y(x.rows(), w.rows());
  y.rowwise() = b.row(0);
  detail::gemm_into<true>(y, x, w.transpose());
  return y;
}
/// x·Wᵀ (no bias).
template <class Scalar>
matrix<Scalar> linear(const matrix<Scalar>& x, const matrix<Scalar>& w) {
  detail::check_linear(detail::shape_of(x), detail::shape_of(w), nullptr);
  return x * w.transpose();
}

/// linear (with bias) on a tape: one node.
template <class Scalar>
var<Scalar> linear(const var<Scalar>& x, const var<Scalar>& w, const var<Scalar>& b) {
  tape<Scalar>& t = x.owner();
  t.check_operand("linear", x);
  t.check_operand("linear", w);
  t.check_operand("linear", b);
  const detail::shape bs = b.shape();
  detail::check_linear(x.shape(), w.shape(), &bs);
  var<Scalar> y = t.record("linear", x.rows(), w.rows(), {x, w, b}, &detail::linear_backward<Scalar>);
  auto out = y.output();
  out.rowwise() = b.value().row(0);
  detail::gemm_into<true>(out, x.value(), w.value().transpose());
  return y;
}
/// linear (no bias) on a tape.
template <class Scalar>
var<Scalar> linear(const var<Scalar>& x, const var<Scalar>& w) {
  tape<Scalar>& t = x.owner();
  t.check_operand("linear", x);
  t.check_operand("linear", w);
  detail::check_linear(x.shape(), w.shape(), nullptr);
  var<Scalar> y = t.record("linear", x.rows(), w.rows(), {x, w}, &detail::linear_backward<Scalar>);
  detail::gemm_into<false>(y.output(), x.value(), w.value().transpose());
  return y;
}

/// linear (with bias) for duals, with tangent ẋ·Wᵀ + x·Ẇᵀ + ḃ.
template <class Scalar>
dual<Scalar> linear(const dual<Scalar>& x, const dual<Scalar>& w, const dual<Scalar>& b) {
  // (x Wᵀ + b)' = ẋ Wᵀ + x Ẇᵀ + ḃ
  const var<Scalar> p = linear(x.primal, w.primal, b.primal);
  const var<Scalar> tx = x.has_tangent() ? linear(x.tangent, w.primal) : var<Scalar>();
  const var<Scalar> tw = w.has_tangent() ? linear(x.primal, w.tangent) : var<Scalar>();
  return {p, detail::tangent_add(detail::tangent_add(tx, tw, p.shape()), b.tangent, p.shape())};
}
/// linear (no bias) for duals, with tangent ẋ·Wᵀ + x·Ẇᵀ.
template <class Scalar>
dual<Scalar> linear(const dual<Scalar>& x, const dual<Scalar>& w) {
  const var<Scalar> p = linear(x.primal, w.primal);
  const var<Scalar> tx = x.has_tangent() ? linear(x.tangent, w.primal) : var<Scalar>();
  const var<Scalar> tw = w.has_tangent() ? linear(x.primal, w.tangent) : var<Scalar>();
  return {p, detail::tangent_add(tx, tw, p.shape())};
}

// ---- transpose ------------------------------------------------------------------------------

/// xᵀ.
template <class Scalar>
matrix<Scalar> transpose(const matrix<Scalar>& x) {
  return x.transpose();
}
/// transpose on a tape.
template <class Scalar>
var<Scalar> transpose(const var<Scalar>& x) {
  tape<Scalar>& t = x.owner();
  t.check_operand("transpose", x);
  var<Scalar> y = t.record("transpose", x.cols(), x.rows(), {x}, &detail::transpose_backward<Scalar>);
  y.output() = x.value().transpose();
  return y;
}
/// transpose for duals: primal and tangent both transposed.
template <class Scalar>
dual<Scalar> transpose(const dual<Scalar>& x) {
  return {transpose(x.primal), x.has_tangent() ? transpose(x.tangent) : var<Scalar>()};
}

// ---- block products ---------------------------------------------------------------------------

/// `blocks` independent products: a and b are each split into `blocks` equal row blocks and block g
/// of the result is op(a_g)·op(b_g). Attention uses it for all (sample, head) pairs in one node.
template <class Scalar>
matrix<Scalar> block_matmul(const matrix<Scalar>& a, const matrix<Scalar>& b, index_t blocks,
                            product_form form = product_form::nn) {
  detail::check_blocks("block_matmul", form, detail::shape_of(a), detail::shape_of(b), blocks);
  const detail::shape s = detail::product_shape(form, {a.rows() / blocks, a.cols()}, {b.rows() / blocks, b.cols()});
  matrix<Scalar> out(s.rows * blocks, s.cols);
  detail::block_products<false>(out, form, a, b, blocks);
  return out;
}
/// block_matmul on a tape: one node for all blocks.
template <class Scalar>
var<Scalar> block_matmul(const var<Scalar>& a, const var<Scalar>& b, index_t blocks,
                         product_form form = product_form::nn) {
  return detail::record_block_product(form, a, b, blocks);
}
/// block_matmul for duals, with tangent ȧ_g·b_g + a_g·ḃ_g per block.
template <class Scalar>
dual<Scalar> block_matmul(const dual<Scalar>& a, const dual<Scalar>& b, index_t blocks,
                          product_form form = product_form::nn) {
  const var<Scalar> p = detail::record_block_product(form, a.primal, b.primal, blocks);
  const var<Scalar> ta = a.has_tangent() ? detail::record_block_product(form, a.tangent, b.primal, blocks) : var<Scalar>();
  const var<Scalar> tb = b.has_tangent() ? detail::record_block_product(form, a.primal, b.tangent, blocks) : var<Scalar>();
  return {p, detail::tangent_add(ta, tb, p.shape())};
}

}  // namespace eigenflow
