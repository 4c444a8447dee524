/* placeholder: replaced by its owner */
typedef int dal_placeholder_parse_;
