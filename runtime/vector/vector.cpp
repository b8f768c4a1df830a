#include "vector/vector.h"

namespace decree {

PType PhysicalType(ir::TypeKind k) {
  switch (k) {
    case ir::TypeKind::kBool: return PType::kBool;
    case ir::TypeKind::kDecimal:
    case ir::TypeKind::kMoney:
    case ir::TypeKind::kRate: return PType::kI128;
    case ir::TypeKind::kText:
    case ir::TypeKind::kId:
    case ir::TypeKind::kCountry:
    case ir::TypeKind::kList: return PType::kStr;
    default: return PType::kI64;
  }
}

void VecBuffer::Init(PType type, int scale, bool money, bool nullable, uint32_t slots) {
  slots_ = slots;
  vec_ = Vec();
  vec_.type = type;
  vec_.scale = scale;
  switch (type) {
    case PType::kBool:
      b_.reset(new uint8_t[slots]());
      vec_.b = b_.get();
      break;
    case PType::kI64:
      i_.reset(new int64_t[slots]());
      vec_.i = i_.get();
      break;
    case PType::kI128:
      m_.reset(new i128[slots]());
      vec_.m = m_.get();
      break;
    case PType::kStr:
      s_.reset(new StrRef[slots]());
      vec_.s = s_.get();
      break;
  }
  if (money) {
    cur_.reset(new uint16_t[slots]());
    vec_.cur = cur_.get();
  }
  if (nullable) EnsureValid();
}

uint8_t* VecBuffer::EnsureValid() {
  if (!valid_) {
    valid_.reset(new uint8_t[slots_]);
    std::memset(valid_.get(), 1, slots_);
  }
  vec_.valid = valid_.get();
  return valid_.get();
}

uint8_t* VecBuffer::EnsureErr() {
  if (!err_) err_.reset(new uint8_t[slots_]());
  vec_.err = err_.get();
  return err_.get();
}

ir::Value SlotValue(const Vec& v, uint32_t row, const ir::Type& t) {
  size_t i = v.at(row);
  if (v.valid != nullptr && v.valid[i] == 0) return ir::Value::Null();
  ir::Value out;
  out.null = false;
  out.kind = t.kind == ir::TypeKind::kRate ? ir::TypeKind::kDecimal : t.kind;
  switch (v.type) {
    case PType::kBool: out.i = v.b[i]; break;
    case PType::kI64:
      out.i = v.i[i];
      if (t.kind == ir::TypeKind::kEnum) out.enum_id = t.ref;
      break;
    case PType::kI128:
      out.m = v.m[i];
      out.scale = v.scale;
      if (v.cur != nullptr) out.currency = v.cur[i];
      break;
    case PType::kStr: out.s = std::string(v.s[i].view()); break;
  }
  return out;
}

void StoreValue(const ir::Value& value, Vec& v, uint32_t row, Arena* arena) {
  if (value.null) {
    if (v.valid != nullptr) v.valid[row] = 0;
    return;
  }
  if (v.valid != nullptr) v.valid[row] = 1;
  switch (v.type) {
    case PType::kBool: v.b[row] = value.i != 0; break;
    case PType::kI64: v.i[row] = value.i; break;
    case PType::kI128: {
      i128 m = value.m;
      if (value.kind == ir::TypeKind::kInteger) m = value.i;
      int s = value.kind == ir::TypeKind::kInteger ? 0 : value.scale;
      if (s != v.scale) Rescale(m, s, v.scale, &m);
      v.m[row] = m;
      if (v.cur != nullptr) v.cur[row] = static_cast<uint16_t>(value.currency);
      break;
    }
    case PType::kStr: v.s[row] = arena->Copy(value.s); break;
  }
}

}  // namespace decree
