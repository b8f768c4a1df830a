#include "ir/value.h"

#include <gtest/gtest.h>

#include "common/codes.h"
#include "ir/eval.h"
#include "ir/ir.h"

namespace decree::ir {
namespace {

TEST(Value, EncodingRoundTrips) {
  Value set;
  set.kind = TypeKind::kSet;
  set.null = false;
  set.elems = {Value::Text("KP", TypeKind::kCountry), Value::Text("IR", TypeKind::kCountry)};
  NormalizeSet(&set);
  std::vector<Value> values = {Value::Bool(true), Value::Integer(-42), Value::Decimal(123456, 4),
                               Value::Money(5000000, 2, LookupCurrency("CNY")), Value::Date(20513),
                               Value::Timestamp(1772380800000000), Value::Duration(86400000000),
                               Value::Text("含:冒号"), Value::Currency(LookupCurrency("USD")), Value::Enum(2, 1), set,
                               Value::Null()};
  for (const Value& v : values) {
    Value back;
    ASSERT_TRUE(DecodeValue(EncodeValue(v), &back)) << EncodeValue(v);
    EXPECT_EQ(EncodeValue(back), EncodeValue(v));
  }
  EXPECT_EQ(set.elems[0].s, "IR");  // sorted
}

TEST(Value, MoneyComparesOnlyWithinACurrency) {
  bool ok;
  Value cny = Value::Money(5000000, 2, LookupCurrency("CNY"));
  Value cny0 = Value::Money(50000, 0, LookupCurrency("CNY"));
  Value usd = Value::Money(5000000, 2, LookupCurrency("USD"));
  EXPECT_EQ(CompareValues(cny, cny0, &ok), 0);
  EXPECT_TRUE(ok);
  CompareValues(cny, usd, &ok);
  EXPECT_FALSE(ok);
}

TEST(Value, RatiosCompareExactly) {
  // 80 / 100 >= 0.8, 79.99 / 100 < 0.8; no rounding anywhere.
  Value r;
  r.kind = TypeKind::kRatio;
  r.null = false;
  r.m = 8000;
  r.scale = 2;
  r.m2 = 100;
  r.scale2 = 0;
  bool ok;
  EXPECT_EQ(CompareValues(r, Value::Decimal(80, 2), &ok), 0);
  r.m = 7999;
  EXPECT_LT(CompareValues(r, Value::Decimal(80, 2), &ok), 0);
  r.m2 = 0;
  CompareValues(r, Value::Decimal(80, 2), &ok);
  EXPECT_FALSE(ok);  // undefined
}

TEST(Eval, KleeneLogicStopsEarly) {
  Program p;
  // false and <error> is false: the error is never evaluated.
  auto and_node = std::make_unique<Expr>();
  and_node->op = Op::kAnd;
  and_node->type = Type::Of(TypeKind::kBool);
  and_node->kids.push_back(MakeConst(Value::Bool(false), Type::Of(TypeKind::kBool)));
  auto agg = std::make_unique<Expr>();
  agg->op = Op::kAgg;
  agg->type = Type::Of(TypeKind::kBool);
  agg->index = 0;
  and_node->kids.push_back(std::move(agg));
  Value out;
  std::string err;
  ASSERT_TRUE(EvalConstant(p, *and_node, &out, &err)) << err;
  EXPECT_FALSE(out.truthy());
  EXPECT_FALSE(out.null);
}

}  // namespace
}  // namespace decree::ir
