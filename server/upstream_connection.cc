#include "server/upstream_connection.h"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sluice::server {

namespace {
constexpr size_t kHeaderBytes = 256;
constexpr size_t kSizeOffset = 48;
}  // namespace

struct UpstreamConnection::State {
  uring::UringLoop* loop = nullptr;
  int fd = -1;
  bool closed = false;      // failed, or the owner went away: no callback runs again
  bool connected = false;
  int in_flight = 0;
  uring::SocketAddress remote;
  size_t frame_size_max = 0;
  FrameCallback on_frame;
  ClosedCallback on_closed;
  // Sending: `out` is in the kernel's hands while `sending`; new frames wait in `queued`.
  Bytes out;
  size_t out_sent = 0;
  bool sending = false;
  Bytes queued;
  // Receiving one frame: the header first, then the rest of its size.
  Bytes in = Bytes(kHeaderBytes);
  size_t in_have = 0;
  bool receiving = false;

  ~State() {
    if (fd >= 0) static_cast<void>(close(fd));
  }
};

namespace {

using State = UpstreamConnection::State;

void Abort(const std::shared_ptr<State>& state) {
  if (state->closed) return;
  state->closed = true;
  if (state->fd < 0) return;
  static_cast<void>(shutdown(state->fd, SHUT_RDWR));
  if (state->in_flight == 0) return;
  // shutdown does not end a connect in progress: cancel what is left.
  const int fd = state->fd;
  ++state->in_flight;
  state->loop->Submit([fd](io_uring_sqe* sqe) { io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL); },
                      [state](int32_t) { --state->in_flight; });
}

void Fail(const std::shared_ptr<State>& state, absl::string_view reason) {
  if (state->closed) return;
  Abort(state);
  UpstreamConnection::ClosedCallback on_closed = std::move(state->on_closed);
  if (on_closed != nullptr) on_closed(reason);
}

void StartSend(const std::shared_ptr<State>& state);
void StartReceive(const std::shared_ptr<State>& state);

void OnSent(const std::shared_ptr<State>& state, int32_t result) {
  if (result < 0) {
    Fail(state, absl::StrCat("sending to the primary: ", std::strerror(-result)));
    return;
  }
  state->out_sent += static_cast<size_t>(result);
  if (state->out_sent == state->out.size()) {
    state->out.clear();
    state->out_sent = 0;
    state->out.swap(state->queued);
  }
  StartSend(state);
}

void StartSend(const std::shared_ptr<State>& state) {
  if (state->closed || !state->connected || state->sending) return;
  if (state->out.empty()) state->out.swap(state->queued);
  if (state->out.empty()) return;
  state->sending = true;
  ++state->in_flight;
  State* raw = state.get();
  state->loop->Submit(
      [raw](io_uring_sqe* sqe) {
        io_uring_prep_send(sqe, raw->fd, raw->out.data() + raw->out_sent, raw->out.size() - raw->out_sent,
                           MSG_NOSIGNAL);
      },
      [state](int32_t result) {
        state->sending = false;
        --state->in_flight;
        if (!state->closed) OnSent(state, result);
      });
}

void OnReceived(const std::shared_ptr<State>& state, int32_t result) {
  if (result <= 0) {
    Fail(state, result == 0 ? std::string("the primary closed the connection")
                            : absl::StrCat("receiving from the primary: ", std::strerror(-result)));
    return;
  }
  state->in_have += static_cast<size_t>(result);
  if (state->in_have == kHeaderBytes && state->in.size() == kHeaderBytes) {
    const uint32_t size = base::LoadLittleEndian<uint32_t>(state->in, kSizeOffset);
    if (size < kHeaderBytes || size > state->frame_size_max) {
      Fail(state, absl::StrCat("the primary sent a frame of size ", size));
      return;
    }
    state->in.resize(size);
  }
  if (state->in_have == state->in.size()) {
    Bytes frame(kHeaderBytes);
    frame.swap(state->in);
    state->in_have = 0;
    // The owner may destroy the connection from inside: `state` stays alive here.
    if (state->on_frame != nullptr) state->on_frame(frame);
    if (state->closed) return;
  }
  StartReceive(state);
}

void StartReceive(const std::shared_ptr<State>& state) {
  if (state->closed || state->receiving) return;
  state->receiving = true;
  ++state->in_flight;
  State* raw = state.get();
  state->loop->Submit(
      [raw](io_uring_sqe* sqe) {
        io_uring_prep_recv(sqe, raw->fd, raw->in.data() + raw->in_have, raw->in.size() - raw->in_have, 0);
      },
      [state](int32_t result) {
        state->receiving = false;
        --state->in_flight;
        if (!state->closed) OnReceived(state, result);
      });
}

}  // namespace

UpstreamConnection::UpstreamConnection(uring::UringLoop& loop, const uring::SocketAddress& remote,
                                       size_t frame_size_max_bytes, FrameCallback on_frame,
                                       ClosedCallback on_closed)
    : state_(std::make_shared<State>()) {
  state_->loop = &loop;
  state_->remote = remote;
  state_->frame_size_max = frame_size_max_bytes;
  state_->on_frame = std::move(on_frame);
  state_->on_closed = std::move(on_closed);
  state_->fd = socket(remote.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::shared_ptr<State> state = state_;
  if (state->fd < 0) {
    // Reported from the loop, never inside the constructor.
    const std::string reason = absl::StrCat("socket: ", std::strerror(errno));
    loop.Post([state, reason] { Fail(state, reason); });
    return;
  }
  ++state->in_flight;
  State* raw = state.get();
  loop.Submit([raw](io_uring_sqe* sqe) { io_uring_prep_connect(sqe, raw->fd, raw->remote.get(), raw->remote.length); },
              [state](int32_t result) {
                --state->in_flight;
                if (state->closed) return;
                if (result < 0) {
                  Fail(state, absl::StrCat("connecting to the primary: ", std::strerror(-result)));
                  return;
                }
                const int enable = 1;
                // Only slower without it: not worth failing for.
                static_cast<void>(setsockopt(state->fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof(enable)));
                state->connected = true;
                StartSend(state);
                StartReceive(state);
              });
}

UpstreamConnection::~UpstreamConnection() { Abort(state_); }

void UpstreamConnection::Send(ByteSpan frame) {
  if (state_->closed) return;
  state_->queued.insert(state_->queued.end(), frame.begin(), frame.end());
  StartSend(state_);
}

}  // namespace sluice::server
