#pragma once
// SecretHasher: where a login's KDF runs (core/client_protocol/login.h leaves it to
// the primary). Argon2id at the default cost takes about 0.37 s on the development
// machine; run on the loop, it would hold every other client that long, so the
// production server runs it on a worker thread (threaded_secret_hasher.h) and gets
// the result back on the loop. core/ never sees a thread: the listener hands over an
// owned copy of what to hash and receives the hash in a loop callback.
#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client_protocol/login.h"
#include "core/metadata/password_kdf.h"

namespace sluice::server {

// What one login hashes, owned (no view into the metadata state or the request), so
// another thread may read it while the loop goes on.
struct SecretToHash {
  bool is_token = false;
  Bytes salt;          // the user's salt (or the dummy); empty for a token
  std::string secret;  // the presented password or token
  metadata::Argon2Cost cost;
  friend bool operator==(const SecretToHash& a, const SecretToHash& b) {
    return a.is_token == b.is_token && a.salt == b.salt && a.secret == b.secret &&
           a.cost.passes == b.cost.passes && a.cost.memory_kib == b.cost.memory_kib &&
           a.cost.lanes == b.cost.lanes;
  }
};

// A copy of PlanLogin's view.
SecretToHash SecretOf(const client_protocol::LoginHashInput& input, const metadata::Argon2Cost& cost);

// The KDF itself: HashPassword(salt, secret, cost), or HashToken(secret). Thread-safe.
absl::StatusOr<Bytes> HashSecret(const SecretToHash& secret);

class SecretHasher {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<Bytes>)>;
  virtual ~SecretHasher() = default;
  // Hashes `secret`; `done` runs later on the caller's loop, never inside Hash(), in
  // the order the hashes were asked for. Destroying the hasher drops the `done`s
  // still waiting, unrun.
  virtual void Hash(SecretToHash secret, Done done) = 0;
};

}  // namespace sluice::server
