# dal_target_warnings(target): the warnings dal's own and generated code is held
# to; errors only when DAL_WERROR is on (the default when dal is the top-level
# project, never when it is a subproject of someone else's build).
function(dal_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -pedantic)
  if(DAL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
