/* warning.c - a consumer source with a warning (-Wunused-variable): building
 * it proves that no -Werror reaches a consumer's own files from dal. */
#include <dal/dal.h>

#include "lib/lib.h"

int main(void)
{
    int unused_on_purpose;
    return dal_uuid_valid("not a uuid") ? 1 : 0;
}
