#include "server/ratelimit/fair_queue.h"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <utility>

namespace userimage {

size_t FairQueue::queued(const Sender& sender) const {
  const Class& c = ClassOf(sender.priority);
  auto it = c.flows.find(sender.caller);
  return it == c.flows.end() ? 0 : it->second.items.size();
}

size_t FairQueue::queued(absl::string_view caller) const {
  size_t n = 0;
  for (const Class& c : classes_) {
    auto it = c.flows.find(caller);
    if (it != c.flows.end()) n += it->second.items.size();
  }
  return n;
}

FairQueue::Key FairQueue::KeyFor(const Class& c, absl::string_view caller,
                                 bool retry) const {
  auto it = c.flows.find(caller);
  const Flow* flow = it == c.flows.end() ? nullptr : &it->second;
  const double finish = flow == nullptr ? 0 : flow->finish;
  const double start = std::max(c.virtual_time, finish);
  if (!retry) return {start, next_rank_ + 1};
  // First in the caller's line: its first waiting request's tag.
  if (flow != nullptr && !flow->items.empty()) {
    return {flow->items.front().key.start, next_retry_rank_ + 1};
  }
  return {start, next_retry_rank_ + 1};
}

size_t FairQueue::CountBefore(const Class& c, const Key& key) {
  size_t n = 0;
  for (const auto& [caller, flow] : c.flows) {
    n += std::lower_bound(
             flow.items.begin(), flow.items.end(), key,
             [](const Item& item, const Key& k) { return item.key < k; }) -
         flow.items.begin();
  }
  return n;
}

size_t FairQueue::PositionOfKey(Priority priority, const Key& key) const {
  size_t n = CountBefore(ClassOf(priority), key);
  if (priority == Priority::kBulk) n += ClassOf(Priority::kInteractive).size;
  return n;
}

size_t FairQueue::PositionOf(const Sender& sender, bool retry) const {
  return PositionOfKey(sender.priority,
                       KeyFor(ClassOf(sender.priority), sender.caller, retry));
}

std::optional<size_t> FairQueue::FirstPositionOf(const Sender& sender) const {
  const Class& c = ClassOf(sender.priority);
  auto it = c.flows.find(sender.caller);
  if (it == c.flows.end() || it->second.items.empty()) return std::nullopt;
  return PositionOfKey(sender.priority, it->second.items.front().key);
}

void FairQueue::Push(const Sender& sender, bool retry, Entry entry) {
  Class& c = ClassOf(sender.priority);
  const Key key = KeyFor(c, sender.caller, retry);
  (retry ? next_retry_rank_ : next_rank_) = key.rank;
  auto [it, created] = c.flows.try_emplace(sender.caller);
  Flow& flow = it->second;
  if (created) flow.weight = weights_.For(sender.caller);
  Item item{key, retry, std::move(entry)};
  if (retry) {
    // After the caller's earlier retries, before its other requests.
    auto at = std::find_if(flow.items.begin(), flow.items.end(),
                           [](const Item& i) { return !i.retry; });
    flow.items.insert(at, std::move(item));
    // Paid for at the end of the line.
    flow.finish = std::max(flow.finish, c.virtual_time) + 1 / flow.weight;
  } else {
    flow.items.push_back(std::move(item));
    flow.finish = key.start + 1 / flow.weight;
  }
  ++c.size;
  ++size_;
}

FairQueue::Entry FairQueue::Pop() {
  Class& c =
      ClassOf(ClassOf(Priority::kInteractive).size > 0 ? Priority::kInteractive
                                                       : Priority::kBulk);
  Flow* next = nullptr;
  for (auto& [caller, flow] : c.flows) {
    if (flow.items.empty()) continue;
    if (next == nullptr || flow.items.front().key < next->items.front().key) {
      next = &flow;
    }
  }
  Item& item = next->items.front();
  c.virtual_time = item.key.start;
  if (c.virtual_time > rebase_above_) Rebase(c);
  Entry entry = std::move(item.entry);
  next->items.pop_front();
  --c.size;
  --size_;
  Forget(c);
  return entry;
}

void FairQueue::Rebase(Class& c) {
  const double v = c.virtual_time;
  for (auto& [caller, flow] : c.flows) {
    flow.finish = std::max(0.0, flow.finish - v);
    for (Item& item : flow.items) item.key.start -= v;
  }
  c.virtual_time = 0;
}

void FairQueue::Forget(Class& c) {
  if (c.size == 0) {
    // Idle: no caller keeps an advantage or a debt into the next busy
    // period, and tags start again from 0.
    c.flows.clear();
    c.virtual_time = 0;
    return;
  }
  for (auto it = c.flows.begin(); it != c.flows.end();) {
    const Flow& flow = it->second;
    if (flow.items.empty() && flow.finish <= c.virtual_time) {
      c.flows.erase(it++);
    } else {
      ++it;
    }
  }
}

std::optional<FairQueue::Entry> FairQueue::Remove(Ticket ticket) {
  std::optional<Entry> removed;
  bool found = false;
  RemoveWhere(
      [&](const Entry& e) {
        if (found || e.ticket != ticket) return false;
        found = true;
        return true;
      },
      [&](Entry e) { removed = std::move(e); });
  return removed;
}

std::vector<FairQueue::Entry> FairQueue::RemoveExpired(absl::Time now) {
  std::vector<Entry> expired;
  RemoveWhere([now](const Entry& e) { return e.deadline <= now; },
              [&](Entry e) { expired.push_back(std::move(e)); });
  return expired;
}

void FairQueue::RemoveWhere(absl::FunctionRef<bool(const Entry&)> remove,
                            absl::FunctionRef<void(Entry)> take) {
  for (Class& c : classes_) {
    bool changed = false;
    for (auto& [caller, flow] : c.flows) {
      // From the back: the requests taken from the end of the line give
      // their tags back, down to the earliest of them.
      bool tail = true;
      for (size_t i = flow.items.size(); i-- > 0;) {
        Item& item = flow.items[i];
        if (!remove(item.entry)) {
          tail = false;
          continue;
        }
        if (tail && !item.retry) flow.finish = item.key.start;
        take(std::move(item.entry));
        flow.items.erase(flow.items.begin() + i);
        --c.size;
        --size_;
        changed = true;
      }
    }
    if (changed) Forget(c);
  }
}

std::vector<FairQueue::Entry> FairQueue::RemoveInOrder(
    absl::FunctionRef<bool(const Entry&, size_t position)> remove) {
  // Every waiting request, in the order it leaves.
  std::vector<std::tuple<int, Key, Item*>> order;
  order.reserve(size_);
  for (int p = 0; p < 2; ++p) {
    for (auto& [caller, flow] : classes_[p].flows) {
      for (Item& item : flow.items) order.emplace_back(p, item.key, &item);
    }
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) < std::get<0>(b)
                                            : std::get<1>(a) < std::get<1>(b);
  });
  absl::flat_hash_map<Ticket, size_t> chosen;  // ticket -> index in order
  size_t kept = 0;
  for (const auto& [p, key, item] : order) {
    if (remove(item->entry, kept)) {
      chosen.emplace(item->entry.ticket, chosen.size());
    } else {
      ++kept;
    }
  }
  // Returned in the order they would have left.
  std::vector<Entry> removed(chosen.size());
  RemoveWhere([&](const Entry& e) { return chosen.contains(e.ticket); },
              [&](Entry e) {
                const size_t index = chosen.at(e.ticket);
                removed[index] = std::move(e);
              });
  return removed;
}

absl::Time FairQueue::EarliestDeadline() const {
  absl::Time earliest = absl::InfiniteFuture();
  for (const Class& c : classes_) {
    for (const auto& [caller, flow] : c.flows) {
      for (const Item& item : flow.items) {
        earliest = std::min(earliest, item.entry.deadline);
      }
    }
  }
  return earliest;
}

}  // namespace userimage
