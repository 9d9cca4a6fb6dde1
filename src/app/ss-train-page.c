/* ss-train-page.c: "Learn from your existing mail" (see ss-train-page.h). The work runs on the
 * session's worker; this page only follows its progress properties and the task's result. */
#define G_LOG_DOMAIN "ss-train-page"

#include "config.h"

#include "ss-train-page.h"

#include <glib/gi18n.h>

struct _SsTrainPage
{
  AdwBin          parent_instance;

  SsSession      *session;
  GCancellable   *cancellable;
  gulong          progress_handler;
  gboolean        running;

  AdwStatusPage  *status;
  GtkProgressBar *bar;
  GtkLabel       *label;
  GtkButton      *button;
};

G_DEFINE_FINAL_TYPE (SsTrainPage, ss_train_page, ADW_TYPE_BIN)

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
disconnect_session (SsTrainPage *self)
{
  if (self->session != NULL && self->progress_handler != 0)
    g_signal_handler_disconnect (self->session, self->progress_handler);
  self->progress_handler = 0;
  g_clear_object (&self->session);
}

static void
ss_train_page_dispose (GObject *object)
{
  SsTrainPage *self = SS_TRAIN_PAGE (object);

  self->running = FALSE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  disconnect_session (self);
  G_OBJECT_CLASS (ss_train_page_parent_class)->dispose (object);
}

static void
on_progress (SsSession   *session,
             GParamSpec  *pspec,
             SsTrainPage *self)
{
  guint n = ss_session_get_progress_n (session);
  guint total = ss_session_get_progress_total (session);
  g_autofree char *text = NULL;

  if (!self->running || ss_session_get_state (session) != SS_SESSION_LEARNING || total == 0)
    return;
  gtk_progress_bar_set_fraction (self->bar, MIN (1.0, (double) n / total));
  text = g_strdup_printf (_("%u of %u messages"), n, total);
  gtk_progress_bar_set_text (self->bar, text);
}

static void
train_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(SsTrainPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  SsTrainStats stats = { 0 };
  gboolean ok = ss_session_train_finish (SS_SESSION (object), result, &stats, &error);

  if (!self->running)
    return;   /* disposed meanwhile */
  self->running = FALSE;
  disconnect_session (self);
  gtk_button_set_label (self->button, _("_Done"));
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "suggested-action");
  if (ok)
    {
      gtk_progress_bar_set_fraction (self->bar, 1.0);
      gtk_progress_bar_set_text (self->bar, NULL);
      text = g_strdup_printf (_("Learned %u good messages and %u spam messages (%u learned "
                                "before)."), stats.ham, stats.spam, stats.known);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    text = g_strdup_printf (_("Stopped. Learned %u good messages and %u spam messages so far; "
                              "the rest can be learned later."), stats.ham, stats.spam);
  else
    text = g_strdup_printf (_("Learning stopped: %s"), error->message);
  gtk_label_set_text (self->label, text);
  /* Cancel ended it: the user is done. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

void
ss_train_page_activate (SsTrainPage *self)
{
  g_return_if_fail (SS_IS_TRAIN_PAGE (self));

  if (self->running)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->button), FALSE);
      gtk_label_set_text (self->label, _("Stopping…"));
      g_cancellable_cancel (self->cancellable);
    }
  else
    g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static void
on_button_clicked (GtkButton   *button,
                   SsTrainPage *self)
{
  ss_train_page_activate (self);
}

static void
ss_train_page_class_init (SsTrainPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ss_train_page_dispose;
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
}

static void
ss_train_page_init (SsTrainPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);

  self->status = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->status, "org.example.SpamSieve-scanning-symbolic");
  adw_status_page_set_title (self->status, _("Learn from Your Existing Mail"));
  adw_status_page_set_description (self->status,
                                   _("SpamSieve learns what your good mail looks like from the "
                                     "mail you have read in your inbox, and what spam looks "
                                     "like from your spam folder. Nothing is moved or marked."));
  self->bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (self->bar, TRUE);
  gtk_progress_bar_set_text (self->bar, _("Starting…"));
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->label, TRUE);
  gtk_label_set_justify (self->label, GTK_JUSTIFY_CENTER);
  self->button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Cancel")));
  gtk_widget_set_halign (GTK_WIDGET (self->button), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "pill");
  g_signal_connect (self->button, "clicked", G_CALLBACK (on_button_clicked), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->bar));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->label));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->button));
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);
  adw_status_page_set_child (self->status, box);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->status));
}

SsTrainPage *
ss_train_page_new (void)
{
  return g_object_new (SS_TYPE_TRAIN_PAGE, NULL);
}

void
ss_train_page_start (SsTrainPage *self,
                     SsSession   *session,
                     guint        max_ham,
                     guint        max_spam)
{
  g_return_if_fail (SS_IS_TRAIN_PAGE (self));
  g_return_if_fail (SS_IS_SESSION (session));
  g_return_if_fail (!self->running);

  disconnect_session (self);
  g_clear_object (&self->cancellable);
  self->session = g_object_ref (session);
  self->cancellable = g_cancellable_new ();
  self->running = TRUE;
  self->progress_handler = g_signal_connect (session, "notify::progress-n",
                                             G_CALLBACK (on_progress), self);
  gtk_label_set_text (self->label, _("Learning… This can take a few minutes; filtering "
                                     "goes on afterwards."));
  ss_session_train_async (session, max_ham, max_spam, self->cancellable, train_cb,
                          g_object_ref (self));
}

gboolean
ss_train_page_is_running (SsTrainPage *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_PAGE (self), FALSE);
  return self->running;
}

const char *
ss_train_page_get_text (SsTrainPage *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_PAGE (self), NULL);
  return gtk_label_get_text (self->label);
}

double
ss_train_page_get_fraction (SsTrainPage *self)
{
  g_return_val_if_fail (SS_IS_TRAIN_PAGE (self), 0);
  return gtk_progress_bar_get_fraction (self->bar);
}
