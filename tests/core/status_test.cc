#include "core/status.h"

#include <cerrno>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace earshot::core {
namespace {

TEST(Status, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.ToString(), "OK");
}

TEST(Status, FactoriesSetCodeAndMessage) {
  Status status = Status::InvalidArgument("bad post");
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.IsInvalidArgument());
  EXPECT_FALSE(status.IsIOError());
  EXPECT_EQ(status.message(), "bad post");
  EXPECT_EQ(status.ToString(), "Invalid argument: bad post");
  EXPECT_TRUE(Status::NotFound("x").IsNotFound());
  EXPECT_TRUE(Status::Corruption("x").IsCorruption());
  EXPECT_TRUE(Status::IOError("x").IsIOError());
  EXPECT_EQ(Status::Unavailable("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(Status::Internal("x").code(), StatusCode::kInternal);
}

TEST(Status, CopyIsDeepAndIndependent) {
  Status original = Status::IOError("disk full");
  Status copy = original;
  EXPECT_EQ(copy.ToString(), original.ToString());
  copy = Status::Ok();
  EXPECT_TRUE(copy.ok());
  EXPECT_EQ(original.message(), "disk full");
  Status assigned;
  assigned = original;
  EXPECT_TRUE(assigned.IsIOError());
  EXPECT_EQ(assigned.message(), "disk full");
}

TEST(Status, MoveTransfersState) {
  Status source = Status::NotFound("gone");
  Status target = std::move(source);
  EXPECT_TRUE(target.IsNotFound());
  EXPECT_EQ(target.message(), "gone");
}

TEST(Status, WithContextPrefixesMessageAndKeepsCode) {
  Status status = Status::InvalidArgument("missing required field \"id\"").WithContext("line 7");
  EXPECT_TRUE(status.IsInvalidArgument());
  EXPECT_EQ(status.message(), "line 7: missing required field \"id\"");
  EXPECT_TRUE(Status::Ok().WithContext("line 7").ok());
}

TEST(Status, FromErrnoMapsEnoentToNotFound) {
  Status missing = Status::FromErrno("open", "rules.yaml", ENOENT);
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_EQ(missing.message().rfind("open rules.yaml: ", 0), 0u) << missing.message();
  EXPECT_TRUE(Status::FromErrno("read", "<input>", EIO).IsIOError());
}

Status FailIfNegative(int value) {
  return value < 0 ? Status::InvalidArgument("negative") : Status::Ok();
}

Status Chain(int value, bool& reached_end) {
  EARSHOT_RETURN_IF_ERROR(FailIfNegative(value));
  reached_end = true;
  return Status::Ok();
}

TEST(Status, ReturnIfErrorStopsOnError) {
  bool reached_end = false;
  EXPECT_TRUE(Chain(-1, reached_end).IsInvalidArgument());
  EXPECT_FALSE(reached_end);
  EXPECT_TRUE(Chain(1, reached_end).ok());
  EXPECT_TRUE(reached_end);
}

TEST(Result, HoldsValue) {
  Result<std::string> result(std::string("value"));
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(*result, "value");
  EXPECT_EQ(result->size(), 5u);
  std::string moved = std::move(result).value();
  EXPECT_EQ(moved, "value");
}

TEST(Result, HoldsError) {
  Result<int> result(Status::Corruption("bad page"));
  ASSERT_FALSE(result.has_value());
  EXPECT_FALSE(static_cast<bool>(result));
  EXPECT_TRUE(result.error().IsCorruption());
  EXPECT_EQ(result.error().message(), "bad page");
}

}  // namespace
}  // namespace earshot::core
