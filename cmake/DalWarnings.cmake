# dal_target_warnings(<target>): warnings are errors in our own and generated code.
function(dal_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -pedantic)
endfunction()
