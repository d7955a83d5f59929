#include "bench/corpus.h"

#include <chrono>
#include <cstdio>
#include <utility>

namespace earshot::bench {
namespace {

using Phrases = std::span<const std::string_view>;

// Shares of the stream. Complaints are ~30% as in a brand's real mention stream; non-English 5%.
constexpr double kComplaintShare = 0.30;
constexpr double kForeignShare = 0.05;
constexpr double kBrandAccountShare = 0.01;  // replies by a brand's own account
constexpr size_t kRecentPosts = 4096;         // how far back a re-poll reaches
constexpr size_t kMinText = 180;  // where the next piece is the last one
constexpr size_t kMaxText = 280;

// Each template hits at least one shipped complaint rule (the rule in the comment).
constexpr std::string_view kComplaints[] = {
    "my {device} caught fire on the desk last night",              // safety.fire_smoke
    "there was smoke coming out of the back of the {device}",      // safety.fire_smoke
    "the {device} overheated and caught fire while charging",      // safety.fire_smoke
    "got food poisoning after the chicken wrap from {brand}",      // safety.injury_illness
    "{brand} charged me twice for the same order",                 // billing.double_charge
    "just noticed I was billed twice this month by {brand}",       // billing.double_charge
    "still waiting for my refund after {small} weeks",             // billing.refund
    "cancelled in {month} and {brand} is still charging me",       // billing.charged_after_cancel
    "no internet since this morning, whole street is out",         // outage.no_service
    "{brand} wifi is down again in {city}",                        // outage.no_service
    "is there an outage in {city}? nothing loads",                 // outage.no_service
    "cant log in to the {brand} app at all since the update",      // outage.cannot_access
    "the app keeps crashing every time I open it",                 // outage.crashes
    "my parcel never arrived and tracking says delivered",         // lost_or_damaged.not_arrived
    "package still hasn't arrived, {n} days late",                 // lost_or_damaged.not_arrived
    "marked as delivered but there is no parcel anywhere",         // lost_or_damaged.not_arrived
    "you lost my luggage on the way to {city}",                    // lost_or_damaged.not_arrived
    "the {device} arrived smashed, the box was damaged in transit",  // lost_or_damaged.damaged
    "been on hold for {n} minutes now",                            // service_failure.on_hold
    "{n} mins on hold and then it disconnected",                   // service_failure.on_hold
    "emailed {small} times and no reply",                          // service_failure.ignored
    "they said \"tomorrow\" three days ago and never called me back",  // service_failure.no_callback
    "my flight was cancelled with no notice",                      // delay_cancellation.flight_train
    "train delayed again, {ordinal} time this week",               // delay_cancellation.flight_train
    "still waiting for the engineer to show up",                   // delay_cancellation.still_waiting
    "cancelling my subscription today, done with {brand}",         // churn.leaving
    "never again, switching to another provider",                  // churn.leaving
    "terrible service as usual from {brand}",                      // general_negative.sentiment
    "worst customer service I have ever had",                      // general_negative.sentiment
    "so disappointed with {brand} right now",                      // general_negative.sentiment
    "someone logged into my account from another country",         // security_privacy.account_takeover
    "there are unauthorised charges on my card",                   // security_privacy.fraud
    "my phone stopped charging after the update",                  // product_defect.broken
    "battery drains in two hours since the update",                // product_defect.broken
    "the headphones are faulty out of the box",                    // product_defect.broken
    "filing an FCC complaint today",                               // legal_regulatory.escalation
    "going to do a chargeback with my bank",                       // legal_regulatory.escalation
    // Typed on a phone: U+2019, not ', which the shipped `hasn'?t` does not accept (a known miss,
    // kept because real posts look like this).
    "my parcel hasn’t arrived and it’s been {n} days",
};

// Sentences that pad a complaint: signals (duration, repetition, impact, intensity) and noise.
constexpr std::string_view kComplaintFillers[] = {
    "This is the {ordinal} time this month.",
    "Absolutely fed up.",
    "Can someone actually help?",
    "I work from home and need this fixed.",
    "{small} calls so far and nothing.",
    "Nobody answers the phone.",
    "Been like this since {day}.",
    "WHY IS THIS SO HARD!!!",
    "{handle} is having the same problem.",
    "Not impressed.",
    "Still not fixed.",
    "Seriously?",
    "#fail",
    "#customerservice",
    "Third email this week.",
    "Sort it out {brand}.",
    "Unbelievable.",
    "Do better.",
    "{handle} avoid them.",
    "Nobody has explained anything.",
};

// Chatter, with near misses that the rules' excludes or word boundaries must keep out.
constexpr std::string_view kNeutral[] = {
    "just had the best coffee near the station in {city}",
    "anyone watching the game tonight?",
    "loving the new {device} from {brand}, setup took two minutes",
    "thanks {brand} for the quick help, all sorted now",
    "fire sale on headphones this weekend",
    "hold my beer while I fix this myself",
    "walked across the skyway bridge today, great views",
    "honestly it was not that terrible",
    "sounding like a broken record here but read the book",
    "new blog post about sourdough is up",
    "the weather in {city} is lovely today",
    "does anyone know a good plumber in {city}?",
    "my cat just knocked the {device} off the table again",
    "booked a trip to {city} for the spring",
    "podcast recommendations for a long drive?",
    "remember to sign out of shared computers",
    "finally finished the puzzle, {n} pieces",
    "switched my {device} to dark mode and never looked back",
    "the new season of that show is really good",
    "grabbed lunch with the team, great tacos",
    "{brand} has a decent offer on at the moment",
    "the parcel from {brand} came early, nice surprise",
};

constexpr std::string_view kNeutralFillers[] = {
    "Have a good one.",      "Highly recommend.",        "lol",
    "Anyway, back to work.", "More soon.",               "Photos below.",
    "Happy Friday everyone.", "{handle} you would love this.", "Who else is going?",
    "Ten out of ten.",       "Link in bio.",             "Not sure what to make of it.",
    "Cheers {handle}!",      "Back tomorrow.",           "Worth a look.",
};
constexpr std::string_view kHashtags[] = {
    "#coffee", "#travel", "#weekend", "#mondaymotivation", "#tech", "#wfh", "#foodie", "#music",
};

// Whole sentences in other languages, written for this file.
constexpr std::string_view kForeign[] = {
    // Spanish
    "Llevo {n} minutos esperando y nadie contesta.",
    "¡Qué buen día en la playa!",
    "El paquete de {brand} todavía no ha llegado.",
    "Me encanta el nuevo café del barrio.",
    // German
    "Seit heute Morgen kein Internet, schon wieder.",
    "Das Wetter in Berlin ist heute wunderbar.",
    "Mein Paket ist immer noch nicht angekommen.",
    "Kann mir jemand einen guten Bäcker empfehlen?",
    // Japanese
    "今日はとても良い天気ですね。",
    "荷物がまだ届きません。",
    "新しいカフェに行ってきました。",
    "電車が遅れています。",
    "アプリが何度もクラッシュします。",
};
constexpr std::string_view kForeignLang[] = {"es", "es", "es", "es", "de", "de", "de",
                                             "de", "ja", "ja", "ja", "ja", "ja"};
static_assert(std::size(kForeign) == std::size(kForeignLang));

// Mentions of the brands in examples/brands.yaml, in the forms their patterns accept.
constexpr std::string_view kKnownBrands[] = {
    "AcmeNet", "@acmenet", "#acmenet", "Acme Net", "Skyway",  "@skywayair",
    "SkyWay",  "ParcelPro", "@parcelpro", "Parcel Pro", "FizzBank", "@fizzbank",
};
constexpr std::string_view kUnknownBrands[] = {
    "Zentrix", "@novatel_uk", "Brightwave", "QuickCart", "Orbitel Mobile", "#loopbank", "Tellus",
};
constexpr std::string_view kBrandAccounts[] = {
    "@AcmeNetHelp", "@SkywayCares", "@ParcelProHelp", "@FizzBankSupport",
};
constexpr std::string_view kDevices[] = {
    "router", "charger", "laptop", "phone", "power bank", "kettle", "tablet", "headset",
};
constexpr std::string_view kCities[] = {
    "Leeds", "Lisbon", "Denver", "Manchester", "Austin", "Glasgow", "Porto", "Bristol",
};
constexpr std::string_view kSmallNumbers[] = {"two", "three", "four", "five", "6", "8"};
constexpr std::string_view kOrdinals[] = {"2nd", "3rd", "third", "fourth", "5th"};
constexpr std::string_view kMonths[] = {"May", "June", "July", "August", "September"};
constexpr std::string_view kDays[] = {"monday", "tuesday", "friday", "yesterday", "last week"};
constexpr std::string_view kEmoji[] = {
    "😡", "🙄", "😤", "😂", "🙏", "👍", "☕", "✈️", "📦", "🔥", "💸", "📶", "😊", "🤦‍♀️",
};
constexpr std::string_view kSyllables[] = {
    "ana", "bo", "cel", "dan", "eli", "fer", "gus", "hana", "ivo", "jo",  "kai", "lu",  "mar",
    "nia", "oli", "pat", "ros", "sam", "tess", "uma", "vic", "wen", "yui", "zoe", "rin", "tom",
};
constexpr std::string_view kInstances[] = {"mastodon.social", "fosstodon.org", "mas.to",
                                           "hachyderm.io"};
constexpr std::string_view kSubreddits[] = {"technology", "travel", "personalfinance", "mildlyinfuriating"};
constexpr std::string_view kSlugs[] = {"router-problems", "delivery-help", "billing-question",
                                       "general-chat"};
constexpr std::string_view kUrlHosts[] = {"https://example.com/status/", "https://t.example/",
                                          "https://news.example.org/story/"};
constexpr char kAlphanumeric[] = "abcdefghijklmnopqrstuvwxyz0123456789";

void AppendJsonString(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
          out += escape;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendField(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  if (out.back() != '{') out.push_back(',');
  AppendJsonString(out, key);
  out.push_back(':');
  AppendJsonString(out, value);
}

// "2026-11-20T08:02:11Z" for `offset` seconds after the corpus epoch.
std::string Timestamp(int64_t offset) {
  using namespace std::chrono;
  const sys_seconds time = sys_days{year{2026} / November / 20} + seconds{offset};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const int64_t of_day = (time - day).count();
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(of_day / 3600), static_cast<int>(of_day / 60 % 60),
                static_cast<int>(of_day % 60));
  return text;
}

}  // namespace

CorpusGenerator::CorpusGenerator(const CorpusOptions& options)
    : options_(options), engine_(options.seed) {}

uint64_t CorpusGenerator::Below(uint64_t bound) {
  // Modulo, not std::uniform_int_distribution (implementation-defined); the bias is < 2^-50.
  return engine_() % bound;
}

bool CorpusGenerator::Chance(double probability) {
  // 53 random bits as a double in [0, 1): exact and the same everywhere.
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53 < probability;
}

std::string_view CorpusGenerator::Pick(std::span<const std::string_view> choices) {
  return choices[Below(choices.size())];
}

std::string CorpusGenerator::BrandMention() {
  if (Chance(0.75)) return std::string(Pick(kKnownBrands));
  return std::string(Pick(kUnknownBrands));
}

std::string CorpusGenerator::UserName() {
  std::string name(Pick(kSyllables));
  name += Pick(kSyllables);
  if (Chance(0.5)) {
    // Appended piecewise: g++ 12 -O2 warns falsely (-Wrestrict) on "_" + std::to_string(...).
    name.push_back('_');
    name += std::to_string(Below(1000));
  }
  return name;
}

std::string CorpusGenerator::Expand(std::string_view phrase) {
  std::string out;
  while (!phrase.empty()) {
    const size_t open = phrase.find('{');
    const size_t close = open == std::string_view::npos ? open : phrase.find('}', open);
    if (close == std::string_view::npos) {
      out += phrase;
      break;
    }
    out += phrase.substr(0, open);
    const std::string_view key = phrase.substr(open + 1, close - open - 1);
    if (key == "brand") out += BrandMention();
    else if (key == "device") out += Pick(kDevices);
    else if (key == "city") out += Pick(kCities);
    else if (key == "n") out += std::to_string(2 + Below(94));
    else if (key == "small") out += Pick(kSmallNumbers);
    else if (key == "ordinal") out += Pick(kOrdinals);
    else if (key == "month") out += Pick(kMonths);
    else if (key == "day") out += Pick(kDays);
    else if (key == "handle") out.append("@").append(UserName());
    phrase.remove_prefix(close + 1);
  }
  return out;
}

std::string CorpusGenerator::MakeText(std::string& lang) {
  const size_t target = kMinText + Below(kMaxText - kMinText);
  std::string text;
  // Appends a piece unless it would overflow the post or repeat itself verbatim.
  auto add = [&](std::string_view piece) {
    if (piece.empty() || text.size() + 1 + piece.size() > kMaxText ||
        text.find(piece) != std::string::npos) {
      return;
    }
    if (!text.empty()) text.push_back(' ');
    text += piece;
  };

  if (Chance(kForeignShare)) {
    // Fill with sentences of one language; failed adds (too long) still count as attempts, so the
    // loop ends even when every remaining sentence is too long to fit.
    const size_t first = Below(std::size(kForeign));
    lang = std::string(kForeignLang[first]);
    add(Expand(kForeign[first]));
    for (int attempt = 0; attempt < 24 && text.size() < target; ++attempt) {
      const size_t next = Below(std::size(kForeign));
      if (kForeignLang[next] == lang) add(Expand(kForeign[next]));
    }
    if (Chance(0.5)) add(Pick(kEmoji));
    return text;
  }

  lang = "en";
  const bool complaint = Chance(kComplaintShare);
  const std::string_view first = complaint ? Pick(kComplaints) : Pick(kNeutral);
  // Most complaints are addressed to someone; a template that names its brand already is.
  if (complaint && first.find("{brand}") == std::string_view::npos && Chance(0.7)) {
    add(BrandMention());
  }
  add(Expand(first));
  // The templates are clauses; end the first one as a writer would before more follows.
  if (const char last = text.back(); last != '?' && last != '!' && last != '.') text.push_back('.');
  const Phrases fillers = complaint ? Phrases(kComplaintFillers) : Phrases(kNeutralFillers);
  for (int attempt = 0; attempt < 24 && text.size() < target; ++attempt) {
    switch (Below(10)) {
      case 0: add(Pick(kEmoji)); break;
      case 1: add(std::string(Pick(kUrlHosts)) + std::to_string(Below(1'000'000'000))); break;
      case 2: add(Pick(kHashtags)); break;
      case 3:
        // Neutral posts ramble on; a complaint stays on its one grievance plus fillers.
        if (!complaint) add(Expand(Pick(kNeutral)));
        break;
      default: add(Expand(Pick(fillers))); break;
    }
  }
  return text;
}

void CorpusGenerator::FillMetadata(core::Post& post) {
  const std::string user = UserName();
  const std::string serial = std::to_string(serial_);
  switch (Below(4)) {
    case 0: {
      post.source = "mastodon";
      const std::string instance(Pick(kInstances));
      post.id = std::to_string(113'456'000'000'000'000 + serial_ * 997 + Below(997));
      post.author = "@" + user + "@" + instance;
      post.url = "https://" + instance + "/@" + user + "/" + post.id;
      break;
    }
    case 1: {
      post.source = "bluesky";
      std::string record_key;
      for (int i = 0; i < 13; ++i) record_key.push_back(kAlphanumeric[Below(36)]);
      post.id = "at://did:plc:" + user + "/app.bsky.feed.post/" + record_key + serial;
      post.author = user + ".bsky.social";
      post.url = "https://bsky.app/profile/" + post.author + "/post/" + record_key + serial;
      break;
    }
    case 2:
      post.source = "reddit";
      post.id = "t1_k" + serial;
      post.author = "u/" + user;
      post.url = "https://www.reddit.com/r/" + std::string(Pick(kSubreddits)) + "/comments/" +
                 serial + "/comment/k" + serial + "/";
      break;
    default:
      post.source = "forum";
      post.id = "f-" + serial;
      post.author = user;
      post.url = "https://forum.example.org/t/" + std::string(Pick(kSlugs)) + "/" + serial;
      break;
  }
  if (Chance(kBrandAccountShare)) post.author = std::string(Pick(kBrandAccounts));
  // Follower counts are heavy-tailed; triage must ignore them, but the parser reads them.
  post.followers = Chance(0.8)    ? static_cast<int64_t>(Below(500))
                   : Chance(0.95) ? static_cast<int64_t>(Below(50'000))
                                  : static_cast<int64_t>(Below(10'000'000));
  clock_seconds_ += static_cast<int64_t>(Below(3));
  post.created_at = Timestamp(clock_seconds_);
}

const core::Post& CorpusGenerator::Next() {
  if (!recent_.empty() && Chance(options_.duplicate_share)) {
    // A re-poll: the same post delivered again, byte for byte.
    current_ = recent_[Below(recent_.size())];
    return current_;
  }
  core::Post post;
  FillMetadata(post);
  post.text = MakeText(post.lang);
  ++serial_;
  if (options_.duplicate_share > 0) {
    if (recent_.size() == kRecentPosts) recent_.pop_front();
    recent_.push_back(post);
  }
  current_ = std::move(post);
  return current_;
}

void CorpusGenerator::AppendJsonLine(std::string& out, const core::Post& post) {
  out.push_back('{');
  AppendField(out, "source", post.source);
  AppendField(out, "id", post.id);
  AppendField(out, "author", post.author);
  if (post.followers) {
    out += ",\"followers\":";
    out += std::to_string(*post.followers);
  }
  // `text` may be empty and is still required.
  out += ",\"text\":";
  AppendJsonString(out, post.text);
  AppendField(out, "created_at", post.created_at);
  AppendField(out, "url", post.url);
  AppendField(out, "lang", post.lang);
  out.push_back('}');
}

std::vector<std::string> GenerateLines(size_t count, const CorpusOptions& options) {
  CorpusGenerator generator(options);
  std::vector<std::string> lines(count);
  for (std::string& line : lines) CorpusGenerator::AppendJsonLine(line, generator.Next());
  return lines;
}

}  // namespace earshot::bench
