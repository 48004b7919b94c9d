// tests/io/idx_test.cpp — the IDX reader and writer: files built here byte by byte from the
// format's description (big-endian sizes and values), plain and gzipped (by zlib directly, not by
// write_idx), round trips of every type, and every malformed file refused with an io_error that
// names the file, the byte offset and the fault.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "eigenflow/error.hpp"
#include "eigenflow/io/idx.hpp"
#include "eigenflow/matrix.hpp"
#include "support/scratch_dir.hpp"
#include "support/thrown.hpp"

namespace {
namespace idx_test {

namespace io = eigenflow::io;
using Catch::Contains;
using eigenflow::index_t;
using eigenflow::matrix;
using eigenflow::io_error;
using eigenflow::value_error;
using eigenflow::test::message_of;
using eigenflow::test::read_bytes;
using eigenflow::test::scratch_dir;
using eigenflow::test::write_bytes;

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>(v & 0xff)};
}

/// The header of an IDX file: magic, type byte, dimension count, big-endian sizes.
std::string header(unsigned char type, const std::vector<std::uint32_t>& dims) {
  std::string h{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (const std::uint32_t d : dims) h += be32(d);
  return h;
}

std::string bytes_of(std::initializer_list<int> values) {
  std::string s;
  for (const int v : values) s += static_cast<char>(v);
  return s;
}

/// `data` as one gzip member, compressed by zlib here (independently of write_idx).
std::string gzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// The content of a one-member gzip file.
std::string gunzip(const std::string& compressed) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(inflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

bool same_bits(const matrix<double>& a, const matrix<double>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (index_t k = 0; k < a.size(); ++k) {
    if (std::bit_cast<std::uint64_t>(a.data()[k]) != std::bit_cast<std::uint64_t>(b.data()[k])) return false;
  }
  return true;
}

// The test cases stay in this namespace: the io suite is one unity translation unit, and these
// helpers must not meet the other files' unqualified calls.

TEST_CASE("idx: ubyte round trip, plain and gzipped, rows in file order", "[io][idx]") {
  scratch_dir dir;
  // Two items of 3 x 4 pixels, pixel (y, x) of item i = 11 * (12 i + 4 y + x) mod 256.
  io::idx_array a{io::idx_type::u8, {2, 3, 4}, {}};
  for (int k = 0; k < 24; ++k) a.bytes.push_back(static_cast<unsigned char>((11 * k) % 256));
  const std::string expected_file = header(0x08, {2, 3, 4}) + std::string(a.bytes.begin(), a.bytes.end());

  io::write_idx(dir / "plain-idx3-ubyte", a);
  CHECK(read_bytes(dir / "plain-idx3-ubyte") == expected_file);
  io::write_idx(dir / "packed.idx", a, {.gzip = true});  // no .gz: the magic bytes decide
  const std::string packed = read_bytes(dir / "packed.idx");
  REQUIRE(packed.size() > 2);
  CHECK(static_cast<unsigned char>(packed[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(packed[1]) == 0x8b);
  CHECK(gunzip(packed) == expected_file);
  write_bytes(dir / "looks-gzipped.gz", expected_file);  // a .gz name on a plain file changes nothing

  for (const char* name : {"plain-idx3-ubyte", "packed.idx", "looks-gzipped.gz"}) {
    INFO(name);
    const io::idx_array b = io::read_idx(dir / name);
    CHECK(b.type == io::idx_type::u8);
    CHECK(b.dims == std::vector<index_t>{2, 3, 4});
    CHECK(b.bytes == a.bytes);
    CHECK(b.size() == 24);
    CHECK(b.value(13) == (11 * 13) % 256);
    const matrix<float> m = io::read_idx_matrix<float>(dir / name);
    REQUIRE(m.rows() == 2);
    REQUIRE(m.cols() == 12);
    for (int i = 0; i < 2; ++i) {
      for (int y = 0; y < 3; ++y) {
        for (int x = 0; x < 4; ++x) CHECK(m(i, 4 * y + x) == static_cast<float>((11 * (12 * i + 4 * y + x)) % 256));
      }
    }
    CHECK(io::idx_matrix<float>(b) == m);
  }
  // Atomic writes leave no temporary behind.
  CHECK(dir.files() == std::vector<std::string>{"looks-gzipped.gz", "packed.idx", "plain-idx3-ubyte"});
}

TEST_CASE("idx: sizes and multi-byte values are big-endian", "[io][idx]") {
  scratch_dir dir;
  struct typed_file {
    unsigned char type;
    std::string data;
    std::vector<double> values;
  };
  const std::vector<typed_file> files = {
      {0x09, bytes_of({0xff, 0x80, 0x7f}), {-1, -128, 127}},
      {0x0B, bytes_of({0x01, 0x02, 0xff, 0xfe, 0x80, 0x00, 0x7f, 0xff}), {258, -2, -32768, 32767}},
      {0x0C, bytes_of({0x00, 0x01, 0x02, 0x03, 0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00}), {66051, -1, -2147483648.0}},
      {0x0D, bytes_of({0x3f, 0x80, 0x00, 0x00, 0xc0, 0x49, 0x0f, 0xdb, 0x7f, 0x80, 0x00, 0x00}),
       {1.0, static_cast<double>(-3.14159274f), std::numeric_limits<double>::infinity()}},
      {0x0E, bytes_of({0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0}),
       {std::numbers::pi, -1.0}},
  };
  for (const typed_file& f : files) {
    const auto n = static_cast<std::uint32_t>(f.values.size());
    const std::string content = header(f.type, {n, 1}) + f.data;
    write_bytes(dir / "plain", content);
    write_bytes(dir / "packed", gzip(content));
    for (const char* name : {"plain", "packed"}) {
      INFO("type byte " << int(f.type) << ", " << name);
      const io::idx_array a = io::read_idx(dir / name);
      CHECK(static_cast<int>(a.type) == f.type);
      CHECK(a.dims == std::vector<index_t>{n, 1});
      const matrix<double> m = io::read_idx_matrix<double>(dir / name);
      REQUIRE(m.rows() == n);
      REQUIRE(m.cols() == 1);
      for (std::uint32_t k = 0; k < n; ++k) {
        CHECK(m(k, 0) == f.values[k]);
        CHECK(a.value(k) == f.values[k]);
      }
    }
  }
  // A size of 0x00000102 is 258 items (read little-endian, it would be 33,619,968).
  const std::string many = header(0x08, {258}) + std::string(258, '\x05');
  write_bytes(dir / "plain", many);
  write_bytes(dir / "packed", gzip(many));
  CHECK(io::read_idx(dir / "plain").dims == std::vector<index_t>{258});
  CHECK(io::read_idx(dir / "packed").dims == std::vector<index_t>{258});
  CHECK(io::read_idx_labels(dir / "packed") == std::vector<index_t>(258, 5));
}

TEST_CASE("idx: make_idx and write_idx round-trip every type, plain and gzipped", "[io][idx]") {
  scratch_dir dir;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct typed_values {
    io::idx_type type;
    std::vector<double> values;  // 6 of them: 2 items of 1 x 3
  };
  const std::vector<typed_values> cases = {
      {io::idx_type::u8, {0, 1, 127, 128, 254, 255}},
      {io::idx_type::i8, {-128, -1, 0, 1, 100, 127}},
      {io::idx_type::i16, {-32768, -258, 0, 258, 1000, 32767}},
      {io::idx_type::i32, {16909060, -2147483648.0, -1, 0, 1, 2147483647}},  // 16909060 = 0x01020304
      {io::idx_type::f32, {0.5, -1.25, static_cast<double>(std::numeric_limits<float>::max()), -inf, inf, nan}},
      {io::idx_type::f64, {std::numbers::pi, -1e300, 5e-324, -0.0, inf, nan}},
  };
  for (const typed_values& c : cases) {
    matrix<double> m(2, 3);
    for (int k = 0; k < 6; ++k) m(k / 3, k % 3) = c.values[static_cast<std::size_t>(k)];
    const io::idx_array a = io::make_idx(c.type, {2, 1, 3}, m);
    CHECK(a.bytes.size() == 6 * io::idx_item_size(c.type));
    for (const bool packed : {false, true}) {
      for (const int level : {-1, 0, 1, 9}) {
        if (!packed && level != -1) continue;
        INFO(eigenflow::name_of(io::idx_type_names, c.type) << (packed ? ", gzipped, level " : ", plain") << level);
        const auto path = dir / "array";
        io::write_idx(path, a, {.gzip = packed, .level = level});
        const io::idx_array b = io::read_idx(path);
        CHECK(b.type == c.type);
        CHECK(b.dims == std::vector<index_t>{2, 1, 3});
        CHECK(b.bytes == a.bytes);
        CHECK(same_bits(io::read_idx_matrix<double>(path), m));
        CHECK(same_bits(io::idx_matrix<double>(b), m));
      }
    }
  }
  // The first value of the int case, 0x01020304, lies in the file as 01 02 03 04.
  matrix<double> one(1, 1);
  one(0, 0) = 16909060;
  io::write_idx(dir / "one", io::make_idx(io::idx_type::i32, {1}, one));
  CHECK(read_bytes(dir / "one") == header(0x0C, {1}) + bytes_of({1, 2, 3, 4}));
  // Labels of any integer type.
  matrix<double> labels(4, 1);
  labels << 0, 9, 300, 7;
  io::write_idx(dir / "labels", io::make_idx(io::idx_type::i16, {4}, labels), {.gzip = true});
  CHECK(io::read_idx_labels(dir / "labels") == std::vector<index_t>{0, 9, 300, 7});
  CHECK(io::idx_labels(io::read_idx(dir / "labels")) == std::vector<index_t>{0, 9, 300, 7});
  // Empty arrays: no item, or items of no value.
  io::write_idx(dir / "empty", io::idx_array{io::idx_type::u8, {0, 28, 28}, {}}, {.gzip = true});
  const matrix<float> none = io::read_idx_matrix<float>(dir / "empty");
  CHECK(none.rows() == 0);
  CHECK(none.cols() == 784);
}

TEST_CASE("idx: malformed files are refused naming the file, the byte offset and the fault", "[io][idx]") {
  scratch_dir dir;
  const auto path = dir / "bad-idx";
  const std::string file = path.string();
  auto refusal = [&](const std::string& content, const io::idx_read_options& options = {}) {
    write_bytes(path, content);
    return message_of<io_error>([&] { io::read_idx(path, options); });
  };

  SECTION("missing, a directory") {
    CHECK_THAT(message_of<io_error>([&] { io::read_idx(dir / "absent"); }),
               Contains((dir / "absent").string()) && Contains("no such file"));
    CHECK_THAT(message_of<io_error>([&] { io::read_idx(dir.path); }), Contains(dir.path.string()) && Contains("is a directory"));
  }
  SECTION("truncated header") {
    CHECK_THAT(refusal(""), Contains(file + ": at byte offset 0: truncated header: the file is empty"));
    CHECK_THAT(refusal(std::string("\0\0\x08", 3)),
               Contains(file + ": at byte offset 3: truncated header") && Contains("after 3 of the 4 bytes"));
    CHECK_THAT(refusal(header(0x08, {2, 3, 4}).substr(0, 10)),
               Contains(file + ": at byte offset 10: truncated header") && Contains("dimension 2 of 3"));
  }
  SECTION("wrong magic: the first two bytes are not zero") {
    CHECK_THAT(refusal(bytes_of({0x01, 0x00, 0x08, 0x01}) + be32(1) + "x"),
               Contains(file + ": at byte offset 0: not an IDX file: it starts with 0x01 0x00"));
    CHECK_THAT(refusal(bytes_of({0x00, 0x03})), Contains("at byte offset 0: not an IDX file"));
    CHECK_THAT(refusal("\x1f"), Contains("at byte offset 0: not an IDX file: it starts with 0x1f,"));
    CHECK_THAT(refusal("PK\x03\x04"), Contains("at byte offset 0: not an IDX file: it starts with 0x50 0x4b"));
  }
  SECTION("unknown type byte") {
    CHECK_THAT(refusal(header(0x0A, {1}) + "x"), Contains(file + ": at byte offset 2: unknown type byte 0x0a"));
    CHECK_THAT(refusal(header(0x00, {1}) + "x"), Contains("at byte offset 2: unknown type byte 0x00"));
  }
  SECTION("zero or absurd dimension count") {
    CHECK_THAT(refusal(header(0x08, {})), Contains(file + ": at byte offset 3: the dimension count is 0"));
    CHECK_THAT(refusal(std::string("\0\0\x08\xc8", 4) + std::string(800, '\0')),
               Contains(file + ": at byte offset 3: the dimension count is 200, more than the 16"));
  }
  SECTION("sizes beyond the limit, or whose product overflows") {
    CHECK_THAT(refusal(header(0x08, {11, 10}) + std::string(110, 'x'), {.max_bytes = 100}),
               Contains(file + ": at byte offset 8: the sizes 11 x 10 of ubyte values make more than 100 bytes"));
    CHECK_THAT(refusal(header(0x0E, {0xffffffff, 2}) + "x"),
               Contains(file + ": at byte offset 4: the sizes 4294967295 x 2 of double values make more than 4294967296"));
    // 2^32-1 cubed overflows 64 bits; so does it when the limit is lifted.
    CHECK_THAT(refusal(header(0x08, {0xffffffff, 0xffffffff, 0xffffffff}) + "x",
                       {.max_bytes = std::numeric_limits<std::uint64_t>::max()}),
               Contains(file + ": at byte offset 8: the sizes 4294967295 x 4294967295 x 4294967295") &&
                   Contains("make more than"));
    // An empty dimension does not hide the others.
    CHECK_THAT(refusal(header(0x08, {0, 0xffffffff, 0xffffffff})),
               Contains(file + ": at byte offset 12: the sizes 0 x 4294967295 x 4294967295"));
  }
  SECTION("a header claiming more data than the file has") {
    CHECK_THAT(refusal(header(0x08, {4, 5}) + std::string(12, 'x')),
               Contains(file + ": at byte offset 12: truncated data: the sizes 4 x 5 of ubyte values need 20 bytes, "
                               "the file has 12 after the header"));
    CHECK_THAT(refusal(header(0x0C, {3}) + std::string(11, 'x')),
               Contains(file + ": at byte offset 8: truncated data") && Contains("need 12 bytes, the file has 11"));
  }
  SECTION("trailing garbage") {
    CHECK_THAT(refusal(header(0x08, {2, 2}) + "abcd" + "xyz"),
               Contains(file + ": at byte offset 16: 3 unexpected bytes after the data (the sizes 2 x 2 of ubyte values "
                               "take 4 bytes)"));
  }
  SECTION("the type or the item sizes the caller requires") {
    CHECK_THAT(refusal(header(0x08, {1}) + "x", {.type = io::idx_type::f32}),
               Contains(file + ": at byte offset 2: the values are ubyte, expected float"));
    CHECK_THAT(refusal(header(0x08, {1, 28, 27}) + std::string(756, 'x'), {.item_dims = std::vector<index_t>{28, 28}}),
               Contains(file + ": at byte offset 12: the items are 28 x 27, expected 28 x 28"));
    CHECK_THAT(refusal(header(0x08, {1, 784}) + std::string(784, 'x'), {.item_dims = std::vector<index_t>{28, 28}}),
               Contains(file + ": at byte offset 3: the items are 784, expected 28 x 28"));
  }
}

TEST_CASE("idx: faults of gzip files", "[io][idx]") {
  scratch_dir dir;
  const auto path = dir / "bad.gz";
  const std::string file = path.string();
  const std::string good = header(0x08, {3, 4}) + "abcdefghijkl";
  const std::string packed = gzip(good);
  auto refusal = [&](const std::string& content) {
    write_bytes(path, content);
    return message_of<io_error>([&] { io::read_idx(path); });
  };

  SECTION("a truncated stream") {
    CHECK_THAT(refusal(packed.substr(0, packed.size() / 2)),
               Contains(file + ": at byte offset") && Contains("of the gzip file: truncated gzip stream"));
    // Cut inside the trailer: the data is complete, the checksum and length are not.
    CHECK_THAT(refusal(packed.substr(0, packed.size() - 4)), Contains("truncated gzip stream"));
    CHECK_THAT(refusal("\x1f\x8b"), Contains(file + ": at byte offset 2 of the gzip file: truncated gzip stream"));
  }
  SECTION("a corrupt stream") {
    std::string bad_method = packed;
    bad_method[2] = 9;  // compression method 9: none such
    CHECK_THAT(refusal(bad_method), Contains(file + ": at byte offset") &&
                                        Contains("of the gzip file: corrupt gzip stream: unknown compression method"));
    std::string bad_block = packed;
    bad_block[10] = static_cast<char>(0xff);  // the first block: final, of the reserved type 3
    CHECK_THAT(refusal(bad_block), Contains("corrupt gzip stream: invalid block type"));
    std::string bad_crc = packed;
    bad_crc[packed.size() - 8] = static_cast<char>(bad_crc[packed.size() - 8] ^ 0x55);
    CHECK_THAT(refusal(bad_crc), Contains("corrupt gzip stream: incorrect data check"));
  }
  SECTION("garbage after the stream") {
    CHECK_THAT(refusal(packed + "junk"),
               Contains(file + ": at byte offset " + std::to_string(packed.size()) +
                        " of the gzip file: 4 bytes after the end of the gzip stream"));
  }
  SECTION("a header claiming more data than the stream holds") {
    CHECK_THAT(refusal(gzip(header(0x08, {4, 5}) + std::string(12, 'x'))),
               Contains(file + ": at byte offset 24 of the decompressed data: truncated data: the sizes 4 x 5 of ubyte "
                               "values need 20 bytes, the decompressed data has only 12 after the header"));
  }
  SECTION("content after the data, or content that is not IDX") {
    CHECK_THAT(refusal(gzip(good + "xyz")),
               Contains(file + ": at byte offset 24 of the decompressed data: 3 unexpected bytes after the data"));
    CHECK_THAT(refusal(gzip("PK\x03\x04")),
               Contains(file + ": at byte offset 0 of the decompressed data: not an IDX file"));
    CHECK_THAT(refusal(gzip("")), Contains(file + ": at byte offset 0 of the decompressed data: truncated header"));
  }
  SECTION("concatenated members are one stream") {
    write_bytes(path, gzip(good.substr(0, 10)) + gzip(good.substr(10)));
    const io::idx_array a = io::read_idx(path);
    CHECK(a.dims == std::vector<index_t>{3, 4});
    CHECK(std::string(a.bytes.begin(), a.bytes.end()) == "abcdefghijkl");
  }
}

TEST_CASE("idx: a lying header allocates nothing the file does not deliver", "[io][idx]") {
  scratch_dir dir;
  // 0x7fffffff x 0xffffffff bytes (8 EiB) fit in index_t; with the limit lifted, only the data
  // actually present may decide. Allocating first would throw std::bad_alloc, not io_error.
  const std::string content = header(0x08, {0x7fffffff, 0xffffffff}) + std::string(10, 'x');
  write_bytes(dir / "plain", content);
  write_bytes(dir / "packed", gzip(content));
  const io::idx_read_options unlimited{.max_bytes = std::numeric_limits<std::uint64_t>::max()};
  CHECK_THAT(message_of<io_error>([&] { io::read_idx(dir / "plain", unlimited); }),
             Contains("at byte offset 12: truncated data") && Contains("the file has 10 after the header"));
  CHECK_THAT(message_of<io_error>([&] { io::read_idx(dir / "packed", unlimited); }),
             Contains("at byte offset 22 of the decompressed data: truncated data") && Contains("has only 10"));
}

TEST_CASE("idx: labels and matrices refuse values they cannot hold", "[io][idx]") {
  scratch_dir dir;
  const auto path = dir / "values";
  const std::string file = path.string();

  write_bytes(path, header(0x0D, {2}) + std::string(8, '\0'));
  CHECK_THAT(message_of<io_error>([&] { io::read_idx_labels(path); }),
             Contains(file + ": at byte offset 2: labels are integers, not float values"));
  write_bytes(path, gzip(header(0x09, {3}) + bytes_of({3, 0xfe, 4})));
  CHECK_THAT(message_of<io_error>([&] { io::read_idx_labels(path); }),
             Contains(file + ": at byte offset 9 of the decompressed data: label 1 is negative (-2)"));
  write_bytes(path, header(0x08, {2, 1}) + "ab");
  CHECK_THAT(message_of<io_error>([&] { io::read_idx_labels(path); }),
             Contains(file + ": at byte offset 3: the items are 1, expected single values"));

  // 1e300 is a double no float holds: refused for float, read for double.
  const std::string big = bytes_of({0x7e, 0x37, 0xe4, 0x3c, 0x88, 0x00, 0x75, 0x9c});
  write_bytes(path, header(0x0E, {2, 2}) + std::string(16, '\0') + big + std::string(8, '\0'));
  CHECK_THAT(message_of<io_error>([&] { io::read_idx_matrix<float>(path); }),
             Contains(file + ": at byte offset 28: the value at row 1, column 0 does not fit in float"));
  CHECK(io::read_idx_matrix<double>(path)(1, 0) == 1e300);
  CHECK_THAT(message_of<value_error>([&] { io::idx_matrix<float>(io::read_idx(path)); }),
             Contains("row 1, column 0 does not fit in float"));
}

TEST_CASE("idx: make_idx, write_idx and idx_array refuse inconsistent arrays", "[io][idx]") {
  scratch_dir dir;
  matrix<double> m(1, 3);
  m << 0, 256, 1;
  CHECK_THAT(message_of<value_error>([&] { io::make_idx(io::idx_type::u8, {1, 3}, m); }),
             Contains("make_idx: the value at row 0, column 1 (256") && Contains("is not a ubyte value"));
  m << 0, 1.5, 1;
  CHECK_THAT(message_of<value_error>([&] { io::make_idx(io::idx_type::i32, {1, 3}, m); }), Contains("row 0, column 1"));
  m << 0, 40000, 1;
  CHECK_THAT(message_of<value_error>([&] { io::make_idx(io::idx_type::i16, {1, 3}, m); }), Contains("not a short value"));
  m << 0, std::numeric_limits<double>::quiet_NaN(), 1;
  CHECK_THAT(message_of<value_error>([&] { io::make_idx(io::idx_type::i8, {1, 3}, m); }), Contains("not a sbyte value"));
  m << 0, 1e300, 1;
  CHECK_THAT(message_of<value_error>([&] { io::make_idx(io::idx_type::f32, {1, 3}, m); }), Contains("not a float value"));
  CHECK_THAT(message_of<value_error>([&] { io::make_idx(io::idx_type::f64, {3}, m); }),
             Contains("the sizes 3 do not match a 1 x 3 matrix"));

  const auto path = dir / "out";
  CHECK_THAT(message_of<value_error>([&] { io::write_idx(path, io::idx_array{io::idx_type::u8, {2, 2}, {1, 2, 3}}); }),
             Contains("the sizes 2 x 2 of ubyte values do not match the 3 bytes"));
  CHECK_THAT(message_of<value_error>([&] { io::write_idx(path, io::idx_array{io::idx_type::u8, {}, {}}); }),
             Contains("1 to 16 dimensions, not 0"));
  CHECK_THAT(message_of<value_error>([&] { io::write_idx(path, io::idx_array{io::idx_type::u8, {index_t{1} << 32}, {}}); }),
             Contains("the size 4294967296 does not fit an IDX header"));
  CHECK_THAT(message_of<value_error>([&] { io::write_idx(path, io::idx_array{io::idx_type::u8, {1}, {1}}, {.level = 10}); }),
             Contains("the compression level is -1 to 9, not 10"));
  CHECK_THAT(message_of<value_error>([&] { (void)io::idx_array{io::idx_type::i16, {2}, {0, 1, 2}}.value(1); }),
             Contains("index 1 is outside the array's 1 values"));
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_THAT(message_of<io_error>([&] { io::write_idx(dir / "absent" / "out", io::idx_array{io::idx_type::u8, {1}, {1}}); }),
             Contains((dir / "absent" / "out").string()) && Contains("does not exist"));
}

}  // namespace idx_test
}  // namespace
