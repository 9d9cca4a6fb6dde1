/* placeholder */
#include "ss-headless.h"
int
main (int argc, char **argv)
{
  return ss_headless_run (argc, argv);
}
