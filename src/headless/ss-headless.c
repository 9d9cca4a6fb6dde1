/* placeholder */
#include "ss-headless.h"
int
ss_headless_run (int argc, char **argv)
{
  return 0;
}
