#pragma once
// Iggy's Identifier (PROTOCOL.md §3): an entity named by numeric id or by name.
// Wire form `[kind:u8][len:u8][value]`: kind 1 numeric (len 4, u32 LE), kind 2 name
// (len 1..255, compared as exact bytes). Prepare bodies keep identifiers unresolved so
// that names are resolved against the state at apply time, on every replica alike.

#include <cstdint>
#include <string>

namespace sluice::metadata {

struct Identifier {
  enum class Kind : uint8_t { kNumeric = 1, kName = 2 };
  Kind kind = Kind::kNumeric;
  uint32_t numeric = 0;  // kNumeric only
  std::string name;      // kName only

  static Identifier Numeric(uint32_t id) { return {Kind::kNumeric, id, {}}; }
  static Identifier Named(std::string name) { return {Kind::kName, 0, std::move(name)}; }
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

}  // namespace sluice::metadata
