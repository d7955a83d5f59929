#include "triage/case_builder.h"

#include <algorithm>

#include "store/dedupe.h"
#include "store/history.h"
#include "store/outbox.h"
#include "store/queue.h"

namespace earshot::triage {
namespace {

// Identical complaints of at least this many words from different authors count as copies.
constexpr size_t kMinWordsForCopy = 8;

void MergeInto(std::vector<std::string>& into, const std::vector<std::string>& from) {
  for (const std::string& value : from) {
    if (std::find(into.begin(), into.end(), value) == into.end()) into.push_back(value);
  }
}

store::CasePost ToCasePost(const core::Post& post, const TriageResult& result) {
  store::CasePost case_post;
  case_post.id = post.id;
  case_post.source = post.source;
  case_post.text = post.text;
  case_post.url = post.url;
  case_post.created_at = post.created_at;
  case_post.urgency = result.urgency;
  case_post.severity = result.severity;
  return case_post;
}

}  // namespace

core::Result<CaseOutcome> CaseBuilder::File(store::Txn& txn, const core::Post& post,
                                            std::span<const uint32_t> matched_rules, const TriageResult& result,
                                            int64_t post_ms, int64_t now_ms) const {
  CaseOutcome outcome;
  outcome.result = result;
  const std::string normalized = store::NormalizeForRepost(post.text);
  const std::string& author_key = post.author_id.empty() ? post.author : post.author_id;
  core::Result<std::optional<uint64_t>> earlier = store::FindRepost(txn, normalized, post_ms, window_ms_);
  if (!earlier) return earlier.error();
  if (earlier->has_value()) {
    // The same words again are a repost when they say so ("RT @x:"), when they are long enough
    // that two people would not write them independently, or when the same author sends them
    // again. Short identical complaints from different people ("@acme no internet") are
    // different customers, each with their own case.
    bool repost = store::IsRetweet(post.text) || store::CountWords(normalized) >= kMinWordsForCopy;
    if (!repost) {
      core::Result<std::optional<store::CaseRecord>> filed = store::LoadCase(txn, **earlier);
      if (!filed) return filed.error();
      repost = filed->has_value() && (*filed)->source == post.source && (*filed)->author_key == author_key;
    }
    if (repost) {
      outcome.kind = CaseOutcome::Kind::kRepost;
      outcome.case_number = **earlier;
      return outcome;
    }
  }

  static const std::vector<std::string> kNoBrand = {std::string()};
  const std::vector<std::string>& brands = result.brands.empty() ? kNoBrand : result.brands;
  for (size_t b = 0; b < brands.size(); ++b) {
    const std::string key = store::HistoryKey(post.source, author_key, brands[b]);
    core::Result<store::AuthorBrandHistory> history = store::LoadHistory(txn, key);
    if (!history) return history.error();

    std::optional<store::CaseRecord> joined;
    if (history->current_case != 0) {
      const int64_t gap = post_ms > history->last_post_ms ? post_ms - history->last_post_ms
                                                          : history->last_post_ms - post_ms;
      if (gap <= window_ms_) {
        core::Result<std::optional<store::CaseRecord>> loaded = store::LoadCase(txn, history->current_case);
        if (!loaded) return loaded.error();
        if (loaded->has_value() && (*loaded)->state != store::CaseState::kResolved) joined = std::move(**loaded);
      }
    }

    // Every unresolved case of this author and brand is a prior contact, the one being joined
    // included: the customer is back about something not yet sorted out.
    TriageResult scored = result;
    if (history->unresolved > 0) {
      scored = scorer_.Score(post, matched_rules, AuthorHistory{static_cast<int>(history->unresolved)});
    }

    uint64_t number = 0;
    if (joined) {
      const store::CaseRecord previous = *joined;
      store::CaseRecord& current = *joined;
      current.AddPost(ToCasePost(post, scored));
      ++current.version;
      current.updated_ms = now_ms;
      current.last_post_ms = std::max(current.last_post_ms, post_ms);
      MergeInto(current.categories, scored.categories);
      MergeInto(current.signals, scored.signals);
      double urgency = std::max(current.urgency, scored.urgency);
      const bool already_repeated =
          std::find(previous.signals.begin(), previous.signals.end(), "repetition") != previous.signals.end();
      if (!already_repeated && repetition_weight_ > 0) {
        const core::Severity band = Scorer::SeverityForUrgency(current.urgency);
        urgency = std::max(urgency, std::min(Scorer::BandCeiling(band), current.urgency + repetition_weight_));
        MergeInto(current.signals, {"repetition"});
      }
      current.urgency = urgency;
      current.severity = Scorer::SeverityForUrgency(urgency);
      // An acked case with news goes back to the queue; a leased one keeps its lease and the ack
      // of the old version will requeue it (store/queue.h).
      if (current.state == store::CaseState::kAcked) current.state = store::CaseState::kQueued;
      EARSHOT_RETURN_IF_ERROR(store::SaveCase(txn, &previous, current));
      if (outbox_) {
        EARSHOT_RETURN_IF_ERROR(store::AppendToOutbox(txn, current));
        ++outcome.outbox_appended;
      }
      number = current.number;
      ++outcome.cases_joined;
    } else {
      core::Result<uint64_t> allocated = store::AllocateCaseNumber(txn);
      if (!allocated) return allocated.error();
      store::CaseRecord created;
      created.number = *allocated;
      created.state = store::CaseState::kQueued;
      created.urgency = scored.urgency;
      created.severity = scored.severity;
      created.brand = brands[b];
      created.source = post.source;
      created.author = post.author;
      created.author_key = author_key;
      created.categories = scored.categories;
      created.signals = scored.signals;
      created.opened_ms = now_ms;
      created.updated_ms = now_ms;
      created.last_post_ms = post_ms;
      created.AddPost(ToCasePost(post, scored));
      EARSHOT_RETURN_IF_ERROR(store::SaveCase(txn, nullptr, created));
      if (outbox_) {
        EARSHOT_RETURN_IF_ERROR(store::AppendToOutbox(txn, created));
        ++outcome.outbox_appended;
      }
      number = created.number;
      history->current_case = number;
      ++history->unresolved;
      history->last_post_ms = post_ms;
      ++outcome.cases_opened;
    }
    history->last_post_ms = std::max(history->last_post_ms, post_ms);
    EARSHOT_RETURN_IF_ERROR(store::SaveHistory(txn, key, *history));
    if (b == 0) {
      outcome.case_number = number;
      outcome.result = scored;
      outcome.kind = joined ? CaseOutcome::Kind::kJoined : CaseOutcome::Kind::kOpened;
    }
  }
  EARSHOT_RETURN_IF_ERROR(store::RecordText(txn, normalized, post_ms, outcome.case_number));
  return outcome;
}

}  // namespace earshot::triage
