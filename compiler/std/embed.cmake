# Turns a .decree file into a C++ source holding its text (a built-in module).
# Usage: cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DSYMBOL=<name> -P embed.cmake
file(READ "${INPUT}" CONTENT)
file(WRITE "${OUTPUT}" "// Generated from ${INPUT}. Do not edit.\nnamespace decree {\nextern const char* const ${SYMBOL};\nconst char* const ${SYMBOL} = R\"DECREE(${CONTENT})DECREE\";\n}  // namespace decree\n")
