/* placeholder: being written */
typedef int ss_placeholder_ss_filter;
