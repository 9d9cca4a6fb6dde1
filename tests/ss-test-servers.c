/* placeholder */
typedef int ss_test_placeholder;
