# Makes an ANTLR 4.7/4.9 C++ recognizer deserialize its ATN on first construction instead of
# in a static initializer: the generated `X::Initializer X::_init;` runs at load time of every
# program that links the parser (≈10 ms of `decree run`, which never parses).
#   cmake -DFILE=<generated .cpp> -DCLASS=<DecreeLexer or DecreeParser> -P lazy_init.cmake
file(READ ${FILE} text)
set(static_init "${CLASS}::Initializer ${CLASS}::_init;")
string(FIND "${text}" "${static_init}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "lazy_init.cmake: ${FILE} has no '${static_init}' (ANTLR output changed?)")
endif()
string(REPLACE "${static_init}" "" text "${text}")
set(ctor "${CLASS}::${CLASS}(")
string(FIND "${text}" "${ctor}" at)
string(SUBSTRING "${text}" ${at} -1 tail)
string(FIND "${tail}" "{" brace)
math(EXPR brace "${at} + ${brace} + 1")
string(SUBSTRING "${text}" 0 ${brace} head)
string(SUBSTRING "${text}" ${brace} -1 rest)
set(text "${head}\n  static const Initializer once;  // lazy: see grammar/lazy_init.cmake\n  (void)once;${rest}")
file(WRITE ${FILE} "${text}")
