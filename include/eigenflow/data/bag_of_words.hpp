// include/eigenflow/data/bag_of_words.hpp — text prompts as context features: a vocabulary of
// lower-case words with an explicit out-of-vocabulary slot, and each prompt as the mean of its
// words' one-hot rows.
//
// Why a mean bag: a conditioner projects its context features linearly (conv_conditioner's and the
// MLP conditioners' context weights W, d×V), and W·bag is exactly the mean of the words' columns of
// W, i.e. a learned embedding of every word, pooled by averaging (PyTorch's EmbeddingBag, mode
// "mean"). So a prompt of any length is one fixed-width row, an unknown word lands on the
// out-of-vocabulary slot (its own learned embedding, trained by word dropout), and the model needs
// no text-specific layer.
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/matrix.hpp"
#include "eigenflow/random.hpp"

namespace eigenflow::data {

/// The words of `text`: maximal runs of letters and digits, ASCII letters lower-cased; bytes of
/// UTF-8 sequences count as letters, so non-English words stay whole. "T-shirt/top" gives
/// {"t", "shirt", "top"}.
inline std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (std::isalnum(byte) || byte >= 0x80) {
      current.push_back(static_cast<char>(std::tolower(byte)));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

/// Word ids for bags of words: id 0 is the out-of-vocabulary slot, ids 1..size()-1 the known
/// words in sorted order.
class vocabulary {
 public:
  static constexpr index_t unknown = 0;  ///< the id of every word not in the vocabulary

  vocabulary() = default;
  /// Every word of `texts` (words_of), each once.
  explicit vocabulary(const std::vector<std::string>& texts) {
    std::vector<std::string> all;
    for (const std::string& t : texts) {
      for (std::string& w : words_of(t)) all.push_back(std::move(w));
    }
    set_words(std::move(all));
  }

  /// The vocabulary of exactly these words (as words() returned them, e.g. from a checkpoint).
  /// Throws value_error on an empty or non-word entry.
  static vocabulary from_words(const std::vector<std::string>& words) {
    for (const std::string& w : words) {
      if (words_of(w) != std::vector<std::string>{w}) {
        throw value_error("vocabulary: '" + w + "' is not a single lower-case word");
      }
    }
    vocabulary v;
    v.set_words(words);
    return v;
  }

  /// Ids in use, the out-of-vocabulary slot included: the width of a bag.
  index_t size() const { return static_cast<index_t>(words_.size()) + 1; }
  /// The known words, in id order (id = position + 1).
  const std::vector<std::string>& words() const { return words_; }
  /// The id of `word` (lower-case, as words_of gives it), `unknown` when it is not known.
  index_t id(const std::string& word) const {
    const auto it = ids_.find(word);
    return it == ids_.end() ? unknown : it->second;
  }
  /// The ids of the words of `text`.
  std::vector<index_t> ids(std::string_view text) const {
    std::vector<index_t> out;
    for (const std::string& w : words_of(text)) out.push_back(id(w));
    return out;
  }
  /// The words of `text` the vocabulary does not know.
  std::vector<std::string> unknown_words(std::string_view text) const {
    std::vector<std::string> out;
    for (std::string& w : words_of(text)) {
      if (id(w) == unknown) out.push_back(std::move(w));
    }
    return out;
  }

  /// One row per text, size() columns: the mean of its words' one-hot rows (so each row sums to
  /// 1); a text without words is the out-of-vocabulary slot alone. With `word_dropout` p > 0
  /// (training), each known word is read as unknown with probability p, drawn from `rng`, so the
  /// out-of-vocabulary embedding learns to stand for any word.
  template <class Scalar>
  matrix<Scalar> mean_bags(const std::vector<std::string>& texts, double word_dropout = 0,
                           random_engine* rng = nullptr) const {
    if (word_dropout < 0 || word_dropout >= 1 || (word_dropout > 0 && rng == nullptr)) {
      throw value_error("vocabulary::mean_bags: word dropout must be in [0, 1) and needs a random engine, got " +
                        std::to_string(word_dropout));
    }
    matrix<Scalar> bags = matrix<Scalar>::Zero(static_cast<index_t>(texts.size()), size());
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    for (std::size_t r = 0; r < texts.size(); ++r) {
      std::vector<index_t> ids = this->ids(texts[r]);
      if (ids.empty()) ids.push_back(unknown);
      for (const index_t i : ids) {
        const index_t read = word_dropout > 0 && coin(*rng) < word_dropout ? unknown : i;
        bags(static_cast<index_t>(r), read) += Scalar(1) / static_cast<Scalar>(ids.size());
      }
    }
    return bags;
  }

 private:
  void set_words(std::vector<std::string> words) {
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    words_ = std::move(words);
    ids_.clear();
    for (std::size_t k = 0; k < words_.size(); ++k) ids_[words_[k]] = static_cast<index_t>(k) + 1;
  }

  std::vector<std::string> words_;
  std::map<std::string, index_t, std::less<>> ids_;
};

}  // namespace eigenflow::data
