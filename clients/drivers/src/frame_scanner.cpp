#include "frame_scanner.hpp"

#include <algorithm>
#include <cstring>

namespace pushcheck::drivers::detail {

FrameScanner::FrameScanner(std::size_t max_message_bytes) : max_(max_message_bytes) {}

char* FrameScanner::prepare(std::size_t n) {
    if (buf_.size() < fill_ + n) buf_.resize(std::max(fill_ + n, buf_.size() * 2));
    return buf_.data() + fill_;
}

void FrameScanner::commit(std::size_t n, Arrival at) {
    fill_ += n;
    last_ = at;
    scan();
}

std::size_t FrameScanner::readable() const {
    if (!frame_ends_.empty()) return static_cast<std::size_t>(frame_ends_.front() - head_);
    switch (mode_) {
    case Mode::http: return static_cast<std::size_t>(scan_ - head_);  // header bytes only
    case Mode::frames: return 0;
    case Mode::raw: return static_cast<std::size_t>(end() - head_);
    }
    return 0;
}

std::size_t FrameScanner::take(char* out, std::size_t n) {
    std::size_t k = std::min(n, readable());
    if (k == 0) return 0;
    std::memcpy(out, at(head_), k);
    head_ += k;
    while (!frame_ends_.empty() && frame_ends_.front() <= head_) frame_ends_.pop_front();
    while (!units_.empty() && units_.front().end <= head_) units_.pop_front();
    compact();
    return k;
}

std::vector<FrameScanner::Control> FrameScanner::take_controls(std::uint64_t before) {
    std::vector<Control> out;
    std::size_t n = 0;
    while (n < controls_.size() && controls_[n].pos < before) ++n;
    if (n == controls_.size()) {
        out.swap(controls_);
    } else {
        out.assign(std::make_move_iterator(controls_.begin()), std::make_move_iterator(controls_.begin() + n));
        controls_.erase(controls_.begin(), controls_.begin() + n);
    }
    return out;
}

void FrameScanner::compact() {
    std::size_t drop = static_cast<std::size_t>(head_ - base_);
    if (drop == 0 || (drop < fill_ && drop < 64 * 1024)) return;
    std::memmove(buf_.data(), buf_.data() + drop, fill_ - drop);
    fill_ -= drop;
    base_ = head_;
    // A big message is gone: give its memory back.
    if (fill_ == 0 && buf_.size() > 256 * 1024) std::string().swap(buf_);
}

void FrameScanner::stop_at(std::uint64_t pos) {
    frame_ends_.push_back(pos);
    units_.push_back({pos, last_});
    scan_ = pos;
    mode_ = Mode::raw;
}

void FrameScanner::scan_http() {
    static constexpr char terminator[] = "\r\n\r\n";
    while (scan_ < end()) {
        char c = static_cast<char>(*at(scan_));
        if (status_line_.size() < 12) status_line_ += c;
        ++scan_;
        if (c == terminator[http_match_])
            ++http_match_;
        else
            http_match_ = c == '\r' ? 1 : 0;
        if (http_match_ == 4) {
            // The header ends here: hand it out as one piece, then frames (101) or raw.
            frame_ends_.push_back(scan_);
            bool upgraded = status_line_.size() >= 12 && status_line_.compare(9, 3, "101") == 0;
            mode_ = upgraded ? Mode::frames : Mode::raw;
            return;
        }
    }
}

void FrameScanner::scan() {
    if (mode_ == Mode::http) scan_http();
    while (mode_ == Mode::frames) {
        std::uint64_t avail = end() - scan_;
        if (avail < 2) return;
        const unsigned char* p = at(scan_);
        bool fin = (p[0] & 0x80) != 0;
        unsigned rsv = p[0] & 0x70;
        unsigned op = p[0] & 0x0f;
        bool masked = (p[1] & 0x80) != 0;
        unsigned len7 = p[1] & 0x7f;
        std::size_t hdr = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (avail < hdr) return;
        std::uint64_t len = len7;
        bool valid = rsv == 0 && !masked;
        if (len7 == 126) {
            len = (std::uint64_t{p[2]} << 8) | p[3];
            valid = valid && len >= 126;
        } else if (len7 == 127) {
            len = 0;
            for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
            valid = valid && len >= 65536 && (len >> 63) == 0;
        }
        bool control = op >= 8;
        switch (op) {
        case 0: valid = valid && in_message_; break;
        case 1:
        case 2: valid = valid && !in_message_; break;
        case 8:
        case 9:
        case 10: valid = valid && fin && len <= 125; break;
        default: valid = false;
        }
        if (valid && !control && max_ != 0) {
            std::uint64_t so_far = op == 0 ? message_size_ : 0;
            valid = len <= max_ - so_far;  // Beast fails on this header: message too big
        }
        if (!valid) {
            stop_at(scan_ + hdr);
            return;
        }
        if (avail - hdr < len) return;  // wait for the whole frame
        std::uint64_t frame_end = scan_ + hdr + len;
        if (op == 9 || op == 10) {
            controls_.push_back({op == 9, std::string(reinterpret_cast<const char*>(p) + hdr, len), last_, scan_});
            std::size_t i = static_cast<std::size_t>(scan_ - base_);
            std::size_t n = static_cast<std::size_t>(hdr + len);
            std::memmove(buf_.data() + i, buf_.data() + i + n, fill_ - i - n);
            fill_ -= n;
            continue;
        }
        frame_ends_.push_back(frame_end);
        scan_ = frame_end;
        if (op == 8) {
            units_.push_back({frame_end, last_});
            mode_ = Mode::raw;
            return;
        }
        message_size_ = (op == 0 ? message_size_ : 0) + len;
        in_message_ = !fin;
        if (fin) {
            units_.push_back({frame_end, last_});
            message_size_ = 0;
        }
    }
}

} // namespace pushcheck::drivers::detail
