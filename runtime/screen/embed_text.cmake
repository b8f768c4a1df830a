# Embeds a text file as a C++ raw string literal: cmake -DIN=file.txt -DOUT=file.inc -P embed_text.cmake
file(READ "${IN}" text)
if(text MATCHES "\\)decree_text\"")
  message(FATAL_ERROR "embed_text: ${IN} contains the literal's delimiter")
endif()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by runtime/screen/embed_text.cmake.\nR\"decree_text(${text})decree_text\"\n")
file(RENAME "${OUT}.tmp" "${OUT}")
