// tests/data/bag_of_words_test.cpp — text prompts as context features: words, the vocabulary with
// its out-of-vocabulary slot, mean bags, word dropout, and what a checkpoint stores.
#include "eigenflow/data/bag_of_words.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace eigenflow;
using Catch::Matchers::Contains;

TEST_CASE("words_of: runs of letters and digits, lower-cased", "[data][text]") {
  CHECK(data::words_of("T-shirt/top") == std::vector<std::string>{"t", "shirt", "top"});
  CHECK(data::words_of("  A pair of TROUSERS, size 42!") ==
        std::vector<std::string>{"a", "pair", "of", "trousers", "size", "42"});
  CHECK(data::words_of("Kleid für Damen") == std::vector<std::string>{"kleid", "für", "damen"});  // UTF-8 stays whole
  CHECK(data::words_of(" ,;- ").empty());
}

TEST_CASE("vocabulary: known words get ids 1.., anything else the out-of-vocabulary slot", "[data][text]") {
  const data::vocabulary v({"an ankle boot", "a pair of trousers", "Ankle boots"});
  CHECK(v.words() == std::vector<std::string>{"a", "an", "ankle", "boot", "boots", "of", "pair", "trousers"});
  CHECK(v.size() == 9);
  CHECK(v.id("ankle") == 3);
  CHECK(v.id("sneaker") == data::vocabulary::unknown);
  CHECK(v.ids("Ankle SNEAKER") == std::vector<index_t>{3, 0});
  CHECK(v.unknown_words("a red sneaker") == std::vector<std::string>{"red", "sneaker"});
  // What a checkpoint stores gives the same vocabulary back.
  const data::vocabulary back = data::vocabulary::from_words(v.words());
  CHECK(back.words() == v.words());
  CHECK(back.ids("pair of boots") == v.ids("pair of boots"));
  CHECK_THROWS_WITH(data::vocabulary::from_words({"ankle", "Boot"}),
                    Contains("'Boot' is not a single lower-case word"));
  CHECK_THROWS_WITH(data::vocabulary::from_words({"ankle boot"}), Contains("'ankle boot' is not a single"));
}

TEST_CASE("mean_bags: each prompt's words averaged, unknown words and empty prompts on slot 0", "[data][text]") {
  const data::vocabulary v({"ankle boot", "trousers"});  // ids: ankle 1, boot 2, trousers 3
  const matrix<double> bags = v.mean_bags<double>({"ankle boot", "blue trousers", "", "boot boot"});
  REQUIRE(bags.rows() == 4);
  REQUIRE(bags.cols() == 4);
  CHECK(bags.row(0) == (row_vector<double>(4) << 0, 0.5, 0.5, 0).finished());
  CHECK(bags.row(1) == (row_vector<double>(4) << 0.5, 0, 0, 0.5).finished());
  CHECK(bags.row(2) == (row_vector<double>(4) << 1, 0, 0, 0).finished());
  CHECK(bags.row(3) == (row_vector<double>(4) << 0, 0, 1, 0).finished());
  CHECK_THROWS_WITH(v.mean_bags<double>({"boot"}, 0.1),
                    Contains("word dropout must be in [0, 1) and needs a random engine"));
  CHECK_THROWS_WITH(v.mean_bags<double>({"boot"}, 1.0), Contains("got 1.000000"));
}

TEST_CASE("mean_bags: word dropout reads known words as unknown at the given rate", "[data][text]") {
  const data::vocabulary v({"ankle boot"});
  random_engine rng(5);
  const std::vector<std::string> prompts(4000, "ankle boot");
  const matrix<double> bags = v.mean_bags<double>(prompts, 0.25, &rng);
  CHECK((bags.rowwise().sum().array() - 1.0).abs().maxCoeff() < 1e-12);  // still means
  // 8000 words at p = 0.25: the unknown share has standard deviation 0.0048.
  CHECK(bags.col(0).mean() == Approx(0.25).margin(0.02));
  CHECK(v.mean_bags<double>(prompts, 0.0, &rng).col(0).isZero());
}
