/* placeholder: being written */
typedef int ss_placeholder_ss_imap_uid_set;
