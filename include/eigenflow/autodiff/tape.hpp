// include/eigenflow/autodiff/tape.hpp — the reverse-mode tape and `var`, its handle to one value.
//
// One node per matrix operation. A node holds its value and (when a gradient flows through it)
// its adjoint in the tape's arena, the ids of its operands, a few arguments, and a plain function
// pointer that adds its adjoint into its operands' adjoints. No virtual call, and after the first
// pass of a given shape, no heap allocation: clear() keeps the nodes' and the arena's capacity.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "eigenflow/autodiff/arena.hpp"
#include "eigenflow/autodiff/shape_check.hpp"
#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"

namespace eigenflow {

template <class Scalar>
class tape;

/// A node on a tape: its value, adjoint, operands and backward rule. Op implementers read and
/// write it; users only see `var`.
template <class Scalar>
struct tape_node {
  /// Writable view of rows×cols entries in the arena.
  using map_type = Eigen::Map<matrix<Scalar>>;
  /// Read-only view of rows×cols entries.
  using const_map_type = Eigen::Map<const matrix<Scalar>>;
  /// Backward rule: adds this node's adjoint, through the op's derivative, into its operands' adjoints.
  using backward_fn = void (*)(const tape_node&, tape<Scalar>&);
  /// Operands that fit in `inputs`; record_many stores more in index_args.
  static constexpr int max_inputs = 3;

  /// The value, rows×cols, column-major.
  const Scalar* value_data = nullptr;
  Scalar* output_data = nullptr;   ///< the same storage, writable: null for a view of a caller's value
  Scalar* adjoint_data = nullptr;  ///< null when no gradient flows through this node
  /// Number of rows of the value (and of the adjoint).
  index_t rows = 0;
  /// Number of columns of the value (and of the adjoint).
  index_t cols = 0;
  backward_fn backward = nullptr;  ///< null for leaves
  /// Node ids of up to max_inputs operands; −1 where unused.
  std::int32_t inputs[max_inputs] = {-1, -1, -1};
  Scalar scalar_arg = 0;           ///< op-specific: a scale, a shift, an exponent
  index_t int_args[2] = {0, 0};      ///< op-specific: an offset, a count
  const index_t* index_args = nullptr;  ///< op-specific: gather indices, extra operand ids (arena)
  /// Number of entries in index_args.
  index_t index_count = 0;
  bool adjoint_is_external = false;  ///< a leaf whose adjoint is a caller's gradient buffer

  /// True when a gradient flows through this node (it has an adjoint).
  bool needs_grad() const { return adjoint_data != nullptr; }
  /// The value, read only.
  const_map_type value() const { return const_map_type(value_data, rows, cols); }
  /// The value to fill, for the op that recorded this node (never a view of a caller's data).
  map_type output() const {
    if (output_data == nullptr) throw value_error("tape: the value of a view of caller data is read only");
    return map_type(output_data, rows, cols);
  }
  /// The adjoint; only valid when needs_grad().
  map_type adjoint() const { return map_type(adjoint_data, rows, cols); }
  /// {rows, cols}.
  detail::shape shape() const { return {rows, cols}; }
};

/// A value recorded on a tape: a cheap handle (tape pointer and node id), copied freely.
///
/// @tparam Scalar float or double.
///
/// A default-constructed var is null (it refers to no node); ops reject it, and a forward-mode
/// pair uses a null tangent to mean "zero tangent" (see dual.hpp).
template <class Scalar>
class var {
 public:
  /// The element type, float or double.
  using scalar_type = Scalar;
  /// Writable view of the value or adjoint (see tape_node).
  using map_type = Eigen::Map<matrix<Scalar>>;
  /// Read-only view of the value (see tape_node).
  using const_map_type = Eigen::Map<const matrix<Scalar>>;

  var() = default;
  /// Handle to node `id` of `owner`; tapes make these, users rarely do.
  var(tape<Scalar>* owner, std::int32_t id) : tape_(owner), id_(id) {}

  /// True for a default-constructed var (on no tape).
  bool is_null() const { return tape_ == nullptr; }
  /// The tape this value is on; throws value_error for a null var.
  tape<Scalar>& owner() const {
    if (tape_ == nullptr) throw value_error("operand is a null var (default-constructed, on no tape)");
    return *tape_;
  }
  /// Index of the node on its tape (−1 when null).
  std::int32_t id() const { return id_; }

  /// The node this var refers to (for op implementers).
  const tape_node<Scalar>& node() const { return owner().node_at(id_); }
  /// Number of rows of the value.
  index_t rows() const { return node().rows; }
  /// Number of columns of the value.
  index_t cols() const { return node().cols; }
  /// {rows, cols} of the value.
  detail::shape shape() const { return node().shape(); }
  /// True when a gradient flows through this value (some leaf it depends on wants one).
  bool needs_grad() const { return node().needs_grad(); }

  /// The value, read only (valid until the tape is cleared): a constant view shows the caller's
  /// data, which the tape never writes.
  const_map_type value() const { return node().value(); }
  /// For op implementers: the value of a node just recorded, to fill.
  map_type output() const { return node().output(); }
  /// The accumulated adjoint, ∂(seeded output)/∂(this value); requires needs_grad().
  map_type adjoint() const {
    if (!needs_grad()) throw value_error("var::adjoint: this value is a constant (no gradient)");
    return node().adjoint();
  }
  /// The single entry of a 1x1 value.
  Scalar item() const {
    detail::require_scalar("var::item", shape());
    return node().value_data[0];
  }

 private:
  tape<Scalar>* tape_ = nullptr;
  std::int32_t id_ = -1;
};

/// The reverse-mode tape: owned by the caller (one per thread), reused across steps.
///
/// @tparam Scalar float or double.
///
/// @code
///   eigenflow::tape<double> t;
///   auto x = t.variable(x0);                 // a leaf whose gradient we want
///   auto w = t.leaf(p.value, p.grad);        // a parameter: read in place, gradient added to p.grad
///   auto loss = eigenflow::sum(eigenflow::tanh(eigenflow::matmul_nt(x, w)));
///   t.backward(loss);                        // x.adjoint() and p.grad now hold the gradients
///   t.clear();                               // next step reuses all storage
/// @endcode
template <class Scalar>
class tape {
  static_assert(std::is_floating_point_v<Scalar>, "tape<Scalar>: Scalar is float or double");

 public:
  /// The element type, float or double.
  using scalar_type = Scalar;
  /// The node type this tape stores.
  using node_type = tape_node<Scalar>;
  /// Backward rule of a node (see tape_node::backward_fn).
  using backward_fn = typename node_type::backward_fn;

  tape() = default;
  tape(const tape&) = delete;             // vars point at their tape: it must not move or copy
  tape& operator=(const tape&) = delete;

  // ---- leaves ------------------------------------------------------------------------------

  /// A copy of m that gradients do not flow into.
  var<Scalar> constant(const Eigen::Ref<const matrix<Scalar>>& m) { return copy_leaf(m, false); }

  /// A copy of m whose gradient is wanted (read it with var::adjoint() after backward).
  var<Scalar> variable(const Eigen::Ref<const matrix<Scalar>>& m) { return copy_leaf(m, gradients_enabled_); }

  /// With gradients disabled, variable() and leaf() record constants: nothing gets an adjoint, so
  /// a forward-only pass (an ODE right-hand side in plain values) skips allocating and zeroing
  /// them. Takes effect for leaves recorded afterwards; clear() keeps the setting.
  void set_gradients_enabled(bool enabled) { gradients_enabled_ = enabled; }
  /// Whether variable() and leaf() currently record gradient-carrying leaves (the default).
  bool gradients_enabled() const { return gradients_enabled_; }

  /// A view of a caller's value whose gradient is added into `grad` by backward (no copies).
  /// Both must stay alive and unresized until the tape is cleared; `grad` is resized and zeroed
  /// if its shape differs from the value's.
  var<Scalar> leaf(const matrix<Scalar>& value, matrix<Scalar>& grad) {
    if (!gradients_enabled_) return constant_view(value);
    if (grad.rows() != value.rows() || grad.cols() != value.cols()) {
      grad.setZero(value.rows(), value.cols());
    }
    node_type n;
    n.rows = value.rows();
    n.cols = value.cols();
    n.value_data = value.data();
    n.adjoint_data = grad.data();
    n.adjoint_is_external = true;
    return push(n);
  }

  /// A leaf that is a view of a caller's value, with no gradient (inputs that outlive the step).
  var<Scalar> constant_view(const matrix<Scalar>& value) {
    node_type n;
    n.rows = value.rows();
    n.cols = value.cols();
    n.value_data = value.data();
    return push(n);
  }

  /// A zero-filled constant (a zero tangent, padding).
  var<Scalar> zeros(index_t rows, index_t cols) {
    node_type n;
    n.rows = rows;
    n.cols = cols;
    n.value_data = n.output_data = arena_.allocate(static_cast<std::size_t>(rows * cols));
    n.output().setZero();
    return push(n);
  }

  // ---- recording (for op implementers) --------------------------------------------------------

  /// Appends a node of the given shape computed from `inputs` (which must be on this tape); its
  /// value is left uninitialized for the op to fill. A gradient flows through it when one flows
  /// through any input; then its adjoint is allocated and zeroed.
  var<Scalar> record(const char* op, index_t rows, index_t cols, std::initializer_list<var<Scalar>> inputs,
                     backward_fn backward) {
    if (inputs.size() > node_type::max_inputs) {
      throw value_error(std::string(op) + ": record takes at most 3 operands (use record_many)");
    }
    node_type n;
    int k = 0;
    bool grad = false;
    for (const var<Scalar>& in : inputs) {
      check_operand(op, in);
      n.inputs[k++] = in.id();
      grad = grad || in.needs_grad();
    }
    return push_computed(n, rows, cols, grad, backward);
  }

  /// As record(), for any number of operands: part(k) gives operand k (called once for each
  /// k in order); their ids go to the node's index_args.
  template <class PartFn>
  var<Scalar> record_many(const char* op, index_t rows, index_t cols, index_t count, const PartFn& part,
                          backward_fn backward) {
    node_type n;
    index_t* ids = index_arena_.allocate(static_cast<std::size_t>(count));
    bool grad = false;
    for (index_t k = 0; k < count; ++k) {
      const var<Scalar> in = part(k);
      check_operand(op, in);
      ids[k] = in.id();
      grad = grad || in.needs_grad();
    }
    n.index_args = ids;
    n.index_count = count;
    return push_computed(n, rows, cols, grad, backward);
  }

  /// Throws unless v is a non-null value on this tape.
  void check_operand(const char* op, const var<Scalar>& v) const {
    if (v.is_null()) throw value_error(std::string(op) + ": operand is a null var");
    if (&v.owner() != this) throw value_error(std::string(op) + ": operand is on another tape");
  }

  /// Mutable access to a node just recorded, to set its arguments.
  node_type& node_at(std::int32_t id) { return nodes_[static_cast<std::size_t>(id)]; }
  /// Read-only access to node `id` (what a backward rule reads its operands from).
  const node_type& node_at(std::int32_t id) const { return nodes_[static_cast<std::size_t>(id)]; }

  /// Scratch storage valid until clear() (for op arguments such as gather indices).
  Scalar* allocate_scalars(index_t n) { return arena_.allocate(static_cast<std::size_t>(n)); }
  /// As allocate_scalars, for n indices.
  index_t* allocate_indices(index_t n) { return index_arena_.allocate(static_cast<std::size_t>(n)); }

  // ---- reverse pass ------------------------------------------------------------------------

  /// ∂output/∂(everything before it), for a 1x1 output.
  void backward(const var<Scalar>& output) {
    check_operand("backward", output);
    detail::require_scalar("backward", output.shape());
    if (output.needs_grad()) {
      output.node().adjoint_data[0] += Scalar(1);
      last_seeded_ = std::max(last_seeded_, output.id());
    }
    propagate();
  }

  /// Adds `seed` to output's adjoint (a vector-Jacobian product's vector). Several outputs may be
  /// seeded before one propagate().
  void seed(const var<Scalar>& output, const Eigen::Ref<const matrix<Scalar>>& seed_value) {
    check_operand("seed", output);
    detail::require_same_shape("seed", output.shape(), detail::shape_of(seed_value));
    if (!output.needs_grad()) return;  // nothing it depends on wants a gradient
    output.node().adjoint() += seed_value;
    last_seeded_ = std::max(last_seeded_, output.id());
  }

  /// Runs every recorded backward rule, last node first, from the last seeded node down.
  void propagate() {
    for (std::int32_t i = last_seeded_; i >= 0; --i) {
      const node_type& n = nodes_[static_cast<std::size_t>(i)];
      if (n.backward != nullptr && n.adjoint_data != nullptr) n.backward(n, *this);
    }
    last_seeded_ = -1;
  }

  /// Zeroes the adjoints the tape owns (not the caller's gradient buffers), for another backward
  /// over the same recording.
  void zero_adjoints() {
    for (node_type& n : nodes_) {
      if (n.adjoint_data != nullptr && !n.adjoint_is_external) {
        std::fill_n(n.adjoint_data, n.rows * n.cols, Scalar(0));
      }
    }
  }

  /// Forgets every node, keeping the storage for the next step. Vars recorded so far dangle.
  void clear() {
    nodes_.clear();
    arena_.clear();
    index_arena_.clear();
    last_seeded_ = -1;
  }

  /// Number of nodes recorded since the last clear().
  std::size_t size() const { return nodes_.size(); }
  /// Bytes of value/adjoint storage held (used or not), for capacity planning.
  std::size_t arena_bytes() const { return arena_.capacity() * sizeof(Scalar); }

 private:
  var<Scalar> copy_leaf(const Eigen::Ref<const matrix<Scalar>>& m, bool grad) {
    node_type n;
    n.rows = m.rows();
    n.cols = m.cols();
    n.value_data = n.output_data = arena_.allocate(static_cast<std::size_t>(m.size()));
    n.output() = m;
    if (grad) {
      n.adjoint_data = arena_.allocate(static_cast<std::size_t>(m.size()));
      n.adjoint().setZero();
    }
    return push(n);
  }

  var<Scalar> push_computed(node_type& n, index_t rows, index_t cols, bool grad, backward_fn backward) {
    n.rows = rows;
    n.cols = cols;
    n.backward = backward;
    n.value_data = n.output_data = arena_.allocate(static_cast<std::size_t>(rows * cols));
    if (grad) {
      n.adjoint_data = arena_.allocate(static_cast<std::size_t>(rows * cols));
      std::fill_n(n.adjoint_data, rows * cols, Scalar(0));
    }
    return push(n);
  }

  var<Scalar> push(const node_type& n) {
    nodes_.push_back(n);
    return var<Scalar>(this, static_cast<std::int32_t>(nodes_.size() - 1));
  }

  std::vector<node_type> nodes_;
  detail::arena<Scalar> arena_;
  detail::arena<index_t> index_arena_;
  std::int32_t last_seeded_ = -1;
  bool gradients_enabled_ = true;
};

}  // namespace eigenflow
