/* fault-proxy: tests/ss-fault-proxy.c as a program, to put faults between any IMAP or spamd
 * client and its server by hand:
 *
 *   fault-proxy --target 14343 --seed 7 --probability 50 --stalls 30
 *
 * prints the port it listens on (127.0.0.1), forwards to 127.0.0.1:TARGET, gives each new
 * connection a fault with the given probability (a cut, or a stall for the given share),
 * and prints its counters every few seconds until interrupted. */
#define G_LOG_DOMAIN "fault-proxy"

#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

#include "ss-fault-proxy.h"

static gboolean
on_quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_report (gpointer user_data)
{
  SsFaultProxyStats s;

  ss_fault_proxy_get_stats (user_data, &s);
  printf ("%u connections (%u open), %u cuts, %u stalls (%u ended), %" G_GUINT64_FORMAT
          " bytes to the server, %" G_GUINT64_FORMAT " to the client\n", s.connections,
          ss_fault_proxy_count_open (user_data), s.cuts, s.stalls, s.short_stalls,
          s.bytes_to_server, s.bytes_to_client);
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  int target = 0, seed = 1, probability = 50, stalls = 30, short_stalls = 50, max_stall = 1000;
  int to_client = 70, max_to_server = 4096, max_to_client = 65536, interval = 5;
  gboolean half_close = FALSE;
  const GOptionEntry entries[] = {
    { "target", 't', 0, G_OPTION_ARG_INT, &target, "Port of the server on 127.0.0.1", "PORT" },
    { "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "N" },
    { "probability", 'p', 0, G_OPTION_ARG_INT, &probability,
      "Percent of connections with a fault (default 50)", "PCT" },
    { "stalls", 0, 0, G_OPTION_ARG_INT, &stalls, "Percent of faults that stall (default 30)",
      "PCT" },
    { "short-stalls", 0, 0, G_OPTION_ARG_INT, &short_stalls,
      "Percent of stalls that end by themselves (default 50)", "PCT" },
    { "max-stall-ms", 0, 0, G_OPTION_ARG_INT, &max_stall,
      "Longest stall that ends (default 1000)", "MS" },
    { "to-client", 0, 0, G_OPTION_ARG_INT, &to_client,
      "Percent of faults in the server-to-client direction (default 70)", "PCT" },
    { "max-offset-to-server", 0, 0, G_OPTION_ARG_INT, &max_to_server,
      "Faults within the first N bytes to the server (default 4096)", "N" },
    { "max-offset-to-client", 0, 0, G_OPTION_ARG_INT, &max_to_client,
      "Faults within the first N bytes to the client (default 65536)", "N" },
    { "half-close", 0, 0, G_OPTION_ARG_NONE, &half_close,
      "Clients half-close after their request (spamd)", NULL },
    { "interval", 'i', 0, G_OPTION_ARG_INT, &interval, "Seconds between reports (default 5)",
      "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- a fault-injecting TCP proxy");
  g_autoptr(GError) error = NULL;
  g_autoptr(SsFaultProxy) proxy = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  SsFaultRandom random = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "fault-proxy: %s\n", error->message);
      return 2;
    }
  if (target <= 0 || target > 65535)
    {
      fprintf (stderr, "fault-proxy: --target PORT is required\n");
      return 2;
    }
  random.probability_percent = CLAMP (probability, 0, 100);
  random.stall_percent = CLAMP (stalls, 0, 100);
  random.short_stall_percent = CLAMP (short_stalls, 0, 100);
  random.short_stall_max_ms = MAX (max_stall, 1);
  random.to_client_percent = CLAMP (to_client, 0, 100);
  random.max_offset_to_server = MAX (max_to_server, 0);
  random.max_offset_to_client = MAX (max_to_client, 0);

  proxy = ss_fault_proxy_new ("cli", (guint16) target, &error);
  if (proxy == NULL)
    {
      fprintf (stderr, "fault-proxy: %s\n", error->message);
      return 1;
    }
  ss_fault_proxy_set_half_close (proxy, half_close, 0);
  ss_fault_proxy_set_random (proxy, &random, (guint32) seed);
  printf ("listening on 127.0.0.1:%u, forwarding to 127.0.0.1:%d, seed %d\n",
          ss_fault_proxy_get_port (proxy), target, seed);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit, loop);
  g_unix_signal_add (SIGTERM, on_quit, loop);
  g_timeout_add_seconds ((guint) MAX (interval, 1), on_report, proxy);
  g_main_loop_run (loop);
  on_report (proxy);
  return 0;
}
