/* ss-status-window.c: binds SsStatus / SsStats / the session's verdicts to the template;
 * chooses the page (welcome, preparing, error, empty, list). Marks go through app actions. */
#define G_LOG_DOMAIN "ss-status-window"

#include "config.h"

#include "ss-status-window.h"

#include <glib/gi18n.h>

#include "ss-account.h"
#include "ss-verdict.h"
#include "ss-verdict-actions.h"

struct _SsStatusWindow
{
  AdwApplicationWindow  parent_instance;

  SsStatus             *status;
  SsStats              *stats;
  gboolean              demo;
  char                 *filter_kind;
  GListModel           *verdicts;        /* the session's, or NULL */
  gulong                record_id;
  SsSession            *record_session;

  GtkFilterListModel   *filter_model;
  GtkSortListModel     *sort_model;
  GtkSingleSelection   *selection;
  gboolean              follow_top;      /* keep the newest row in view */
  gint64                last_insert;     /* monotonic µs */
  guint                 scroll_idle;
  GtkStringFilter      *search_filter;
  GtkCustomFilter      *kind_filter;

  GPtrArray            *bindings;        /* GBinding of status and stats */
  GtkDropDown          *account_dropdown; /* with two accounts or more */
  GtkStringList        *account_labels;
  GPtrArray            *account_ids;     /* char*, in the dropdown's order */
  gboolean              updating_accounts;
  GtkWidget            *title_keep;      /* a ref of window_title */

  /* template */
  AdwHeaderBar         *header_bar;
  AdwWindowTitle       *window_title;
  GtkWidget            *pause_button;
  GtkWidget            *resume_button;
  GtkMenuButton        *menu_button;
  GtkRevealer          *demo_banner;
  GtkRevealer          *problem_banner;
  GtkLabel             *problem_title;
  GtkLabel             *problem_detail;
  GtkButton            *problem_button;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  AdwStatusPage        *preparing_page;
  AdwStatusPage        *error_page;
  GtkButton            *error_button;
  AdwStatusPage        *empty_page;
  GtkLabel             *today_label;
  GtkLabel             *today_detail_label;
  GtkLabel             *total_label;
  GtkLabel             *total_detail_label;
  GtkLabel             *accuracy_label;
  GtkLabel             *accuracy_detail_label;
  GtkLabel             *last_check_label;
  GtkLabel             *last_check_detail_label;
  GtkSearchEntry       *search_entry;
  GtkStack             *list_stack;
  GtkColumnView        *column_view;
};

G_DEFINE_FINAL_TYPE (SsStatusWindow, ss_status_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_STATS,
  PROP_DEMO,
  PROP_FILTER_KIND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- closures used by the cell templates ---- */

static char *
verdict_label (gpointer    item,
               const char *verdict)
{
  SsVerdictKind kind;

  if (verdict == NULL || !ss_verdict_kind_from_string (verdict, &kind))
    return g_strdup (verdict != NULL ? verdict : "");
  switch (kind)
    {
    case SS_VERDICT_SPAM: return g_strdup (_("Spam"));
    case SS_VERDICT_HAM: return g_strdup (_("Ham"));
    case SS_VERDICT_SKIPPED: return g_strdup (_("Too large, not scanned"));
    case SS_VERDICT_UNSCANNED: return g_strdup (_("Could not be scanned"));
    case SS_VERDICT_LEARNED_HAM: return g_strdup (_("Learned as ham"));
    case SS_VERDICT_LEARNED_SPAM: return g_strdup (_("Learned as spam"));
    case SS_VERDICT_EXPIRED: return g_strdup (_("Expired"));
    case SS_VERDICT_UNCERTAIN: return g_strdup (_("Uncertain"));
    default: return g_strdup (verdict);
    }
}

/* Uncertain rows stand out: the user is asked to decide (Spam / Not spam on the row). */
static GStrv
verdict_css (gpointer    item,
             const char *verdict)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  SsVerdictKind kind;

  if (verdict != NULL && ss_verdict_kind_from_string (verdict, &kind) &&
      kind == SS_VERDICT_UNCERTAIN)
    g_strv_builder_add (builder, "ss-uncertain");
  return g_strv_builder_end (builder);
}

static char *
verdict_icon (gpointer    item,
              const char *verdict)
{
  SsVerdictKind kind;

  if (verdict == NULL || !ss_verdict_kind_from_string (verdict, &kind))
    return NULL;
  switch (kind)
    {
    case SS_VERDICT_SPAM:
    case SS_VERDICT_LEARNED_SPAM:
      return g_strdup ("mail-mark-junk-symbolic");
    case SS_VERDICT_HAM:
    case SS_VERDICT_LEARNED_HAM:
      return g_strdup ("emblem-ok-symbolic");   /* notjunk is a struck-out warning sign */
    case SS_VERDICT_EXPIRED:
      return g_strdup ("user-trash-symbolic");
    case SS_VERDICT_UNCERTAIN:
      return g_strdup ("dialog-question-symbolic");
    case SS_VERDICT_SKIPPED:
    case SS_VERDICT_UNSCANNED:
    default:
      return g_strdup ("dialog-warning-symbolic");
    }
}

static char *
destination_label (gpointer    item,
                   const char *destination)
{
  if (destination == NULL || *destination == '\0')
    return g_strdup (_("Deleted"));
  return g_strdup (destination);
}

static char *
rules_tooltip (gpointer    item,
               const char *rules)
{
  if (rules == NULL || *rules == '\0')
    return NULL;
  /* TRANSLATORS: tooltip of a row: the SpamAssassin rules that matched */
  return g_strdup_printf (_("Rules that fired: %s"), rules);
}

static gboolean
has_text (gpointer    item,
          const char *text)
{
  return text != NULL && *text != '\0';
}

static char *
search_text (gpointer    item,
             const char *from,
             const char *subject,
             gpointer    user_data)
{
  return g_strconcat (from ? from : "", "\n", subject ? subject : "", NULL);
}

/* ---- pages ---- */

static void
update_error_page (SsStatusWindow *self)
{
  SsStatusProblem problem = ss_status_get_problem (self->status);
  SsStatusProblemInfo info = ss_status_problem_info (problem);
  const char *detail = ss_status_get_detail (self->status);
  g_autofree char *escaped = g_markup_escape_text (detail != NULL ? detail : "", -1);
  g_autofree char *description = NULL;
  const char *title = ss_status_get_title (self->status);
  const char *explanation = info.explanation != NULL ? info.explanation : "";

  if (self->demo && problem == SS_STATUS_PROBLEM_SETTINGS)
    {
      title = _("The Demo Could Not Start");
      explanation = "";
      info.action = NULL;
    }
  adw_status_page_set_icon_name (self->error_page, info.icon_name != NULL
                                                   ? info.icon_name : "dialog-warning-symbolic");
  adw_status_page_set_title (self->error_page, title);
  /* The engine's own words (English) below the explanation, smaller. */
  description = g_strdup_printf ("%s%s<small>%s</small>", explanation,
                                 *explanation != '\0' && *escaped != '\0' ? "\n\n" : "",
                                 escaped);
  adw_status_page_set_description (self->error_page, description);
  gtk_button_set_label (self->error_button, info.action_label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->error_button), info.action);
  gtk_widget_set_visible (GTK_WIDGET (self->error_button), info.action != NULL);
}

static void
update_page (SsStatusWindow *self)
{
  SsStatusProblem problem = ss_status_get_problem (self->status);
  guint n_all = self->verdicts != NULL ? g_list_model_get_n_items (self->verdicts) : 0;
  guint n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  gboolean has_account;
  const char *page;

  g_object_get (self->status, "has-account", &has_account, NULL);
  if (ss_status_get_session (self->status) == NULL)
    {
      if (problem != SS_STATUS_PROBLEM_NONE)
        page = "error";
      else if (!has_account && !self->demo)
        page = "welcome";
      else
        page = "preparing";
    }
  else if (n_all == 0)
    page = problem != SS_STATUS_PROBLEM_NONE ? "error" : "empty";
  else
    page = "list";

  if (g_str_equal (page, "error"))
    update_error_page (self);
  if (g_str_equal (page, "preparing"))
    adw_status_page_set_title (self->preparing_page, ss_status_get_title (self->status));
  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_stack_set_visible_child_name (self->list_stack, n_shown > 0 ? "rows" : "no-results");
  gtk_revealer_set_reveal_child (self->problem_banner,
                                 g_str_equal (page, "list") &&
                                 problem != SS_STATUS_PROBLEM_NONE);
}

static void
on_status_notify (SsStatusWindow *self)
{
  const char *detail = ss_status_get_detail (self->status);

  gtk_widget_set_visible (GTK_WIDGET (self->problem_detail), detail != NULL && *detail != '\0');
  update_page (self);
}

static void
on_rows_changed (SsStatusWindow *self)
{
  update_page (self);
}

static gboolean
scroll_to_top (gpointer data)
{
  SsStatusWindow *self = data;
  GtkAdjustment *vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->column_view));

  self->scroll_idle = 0;
  if (vadj != NULL && self->follow_top)
    gtk_adjustment_set_value (vadj, gtk_adjustment_get_lower (vadj));
  return G_SOURCE_REMOVE;
}

/* Newest first: a row inserted on top pushes the view down unless we follow it. */
static void
on_sorted_items_changed (SsStatusWindow *self,
                         guint           position,
                         guint           removed,
                         guint           added)
{
  self->last_insert = g_get_monotonic_time ();
  if (added > 0 && position == 0 && self->follow_top && self->scroll_idle == 0)
    self->scroll_idle = g_idle_add_full (G_PRIORITY_LOW, scroll_to_top, self, NULL);
}

static void
on_scrolled (SsStatusWindow *self,
             GtkAdjustment  *vadj)
{
  if (gtk_adjustment_get_value (vadj) <= gtk_adjustment_get_lower (vadj) + 1)
    self->follow_top = TRUE;
  else if (g_get_monotonic_time () - self->last_insert > G_USEC_PER_SEC / 2)
    /* The user scrolled away: leave the view where it is. */
    self->follow_top = FALSE;
}

static void
on_record (SsStatusWindow *self)
{
  /* A mark changes a row in place: the spam/ham filter may now exclude it. */
  if (g_strcmp0 (self->filter_kind, "all") != 0)
    gtk_filter_changed (GTK_FILTER (self->kind_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* Lets go of the session's verdicts and its "record" signal */
static void
forget_session (SsStatusWindow *self)
{
  if (self->record_session != NULL)
    g_clear_signal_handler (&self->record_id, self->record_session);
  g_clear_object (&self->record_session);
  if (self->verdicts != NULL)
    g_signal_handlers_disconnect_by_func (self->verdicts, on_rows_changed, self);
  g_clear_object (&self->verdicts);
}

static void
on_session_changed (SsStatusWindow *self)
{
  SsSession *session = ss_status_get_session (self->status);

  forget_session (self);
  if (session != NULL)
    {
      self->verdicts = g_object_ref (ss_session_get_verdicts (session));
      g_signal_connect_swapped (self->verdicts, "items-changed", G_CALLBACK (on_rows_changed),
                                self);
      self->record_session = g_object_ref (session);
      self->record_id = g_signal_connect_swapped (session, "record", G_CALLBACK (on_record),
                                                  self);
    }
  gtk_filter_list_model_set_model (self->filter_model, self->verdicts);
  update_page (self);
}

static gboolean
match_kind (gpointer item,
            gpointer user_data)
{
  SsStatusWindow *self = user_data;
  const SsRecord *r = ss_verdict_get_record (item);
  gboolean spam = r->verdict == SS_VERDICT_SPAM || r->verdict == SS_VERDICT_LEARNED_SPAM;

  if (g_strcmp0 (self->filter_kind, "spam") == 0)
    return spam;
  if (g_strcmp0 (self->filter_kind, "ham") == 0)
    return !spam && r->verdict != SS_VERDICT_EXPIRED;
  if (g_strcmp0 (self->filter_kind, "uncertain") == 0)
    return r->verdict == SS_VERDICT_UNCERTAIN;
  return TRUE;
}

static void
set_filter_kind (SsStatusWindow *self,
                 const char     *kind)
{
  if (g_strcmp0 (self->filter_kind, kind) == 0)
    return;
  g_free (self->filter_kind);
  self->filter_kind = g_strdup (kind != NULL ? kind : "all");
  gtk_filter_changed (GTK_FILTER (self->kind_filter), GTK_FILTER_CHANGE_DIFFERENT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER_KIND]);
}

static void
on_search_changed (SsStatusWindow *self)
{
  gtk_string_filter_set_search (self->search_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
on_stop_search (SsStatusWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

/* ---- window actions: win.search, win.mark-selected-spam, win.mark-selected-ham ---- */

static void
focus_search (SsStatusWindow *self)
{
  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "list"))
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
mark_selected (SsStatusWindow *self,
               gboolean        as_spam)
{
  SsVerdict *verdict = gtk_single_selection_get_selected_item (self->selection);
  g_autofree char *key = NULL;
  gboolean allowed;

  if (verdict == NULL)
    return;
  g_object_get (verdict, as_spam ? "can-mark-spam" : "can-mark-ham", &allowed, NULL);
  if (!allowed)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  key = ss_verdict_dup_key (verdict);
  gtk_widget_activate_action (GTK_WIDGET (self), as_spam ? "app.mark-spam" : "app.mark-ham",
                              "s", key);
}

static void
window_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SsStatusWindow *self = SS_STATUS_WINDOW (widget);

  if (g_str_equal (action_name, "win.search"))
    focus_search (self);
  else
    mark_selected (self, g_str_equal (action_name, "win.mark-selected-spam"));
}

/* ---- GObject ---- */

/* Status and counts, shown as they are */
static void
bind_status (SsStatusWindow *self)
{
  const struct
  {
    gpointer       source;
    const char    *property;
    gpointer       target;
    const char    *target_property;
    GBindingFlags  flags;
  } bindings[] = {
    { self->status, "title", self->window_title, "subtitle", 0 },
    { self->status, "title", self->problem_title, "label", 0 },
    { self->status, "detail", self->problem_detail, "label", 0 },
    { self->status, "problem-action-label", self->problem_button, "label", 0 },
    { self->status, "problem-action", self->problem_button, "action-name", 0 },
    { self->status, "last-check-time", self->last_check_label, "label", 0 },
    { self->status, "title", self->last_check_detail_label, "label", 0 },
    { self->status, "paused", self->pause_button, "visible", G_BINDING_INVERT_BOOLEAN },
    { self->status, "paused", self->resume_button, "visible", 0 },
    { self->stats, "today-count-text", self->today_label, "label", 0 },
    { self->stats, "today-detail-text", self->today_detail_label, "label", 0 },
    { self->stats, "total-count-text", self->total_label, "label", 0 },
    { self->stats, "total-detail-text", self->total_detail_label, "label", 0 },
    { self->stats, "accuracy-value-text", self->accuracy_label, "label", 0 },
    { self->stats, "accuracy-detail-text", self->accuracy_detail_label, "label", 0 },
  };

  if (self->bindings == NULL)
    self->bindings = g_ptr_array_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (bindings); i++)
    g_ptr_array_add (self->bindings,
                     g_object_bind_property (bindings[i].source, bindings[i].property,
                                             bindings[i].target, bindings[i].target_property,
                                             bindings[i].flags | G_BINDING_SYNC_CREATE));
}

static void
ss_status_window_constructed (GObject *object)
{
  SsStatusWindow *self = SS_STATUS_WINDOW (object);

  G_OBJECT_CLASS (ss_status_window_parent_class)->constructed (object);

  bind_status (self);
  /* Kept while an account selector takes its place in the header. */
  self->title_keep = g_object_ref (GTK_WIDGET (self->window_title));
  gtk_revealer_set_reveal_child (self->demo_banner, self->demo);

  g_signal_connect_object (self->status, "notify", G_CALLBACK (on_status_notify), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status, "notify::session", G_CALLBACK (on_session_changed),
                           self, G_CONNECT_SWAPPED);
  on_session_changed (self);
  on_status_notify (self);
  g_signal_connect_object (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->column_view)),
                           "value-changed", G_CALLBACK (on_scrolled), self, G_CONNECT_SWAPPED);
}

static void
ss_status_window_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SsStatusWindow *self = SS_STATUS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STATUS: g_value_set_object (value, self->status); break;
    case PROP_STATS: g_value_set_object (value, self->stats); break;
    case PROP_DEMO: g_value_set_boolean (value, self->demo); break;
    case PROP_FILTER_KIND: g_value_set_string (value, self->filter_kind); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_status_window_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SsStatusWindow *self = SS_STATUS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STATUS: self->status = g_value_dup_object (value); break;
    case PROP_STATS: self->stats = g_value_dup_object (value); break;
    case PROP_DEMO: self->demo = g_value_get_boolean (value); break;
    case PROP_FILTER_KIND: set_filter_kind (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_status_window_dispose (GObject *object)
{
  SsStatusWindow *self = SS_STATUS_WINDOW (object);

  forget_session (self);
  if (self->filter_model != NULL)
    g_signal_handlers_disconnect_by_func (self->filter_model, on_rows_changed, self);
  if (self->sort_model != NULL)
    g_signal_handlers_disconnect_by_func (self->sort_model, on_sorted_items_changed, self);
  g_clear_handle_id (&self->scroll_idle, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), SS_TYPE_STATUS_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->status);
  g_clear_object (&self->stats);
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  g_clear_pointer (&self->account_ids, g_ptr_array_unref);
  g_clear_object (&self->title_keep);
  G_OBJECT_CLASS (ss_status_window_parent_class)->dispose (object);
}

static void
ss_status_window_finalize (GObject *object)
{
  g_free (SS_STATUS_WINDOW (object)->filter_kind);
  G_OBJECT_CLASS (ss_status_window_parent_class)->finalize (object);
}

static void
ss_status_window_class_init (SsStatusWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ss_status_window_constructed;
  object_class->get_property = ss_status_window_get_property;
  object_class->set_property = ss_status_window_set_property;
  object_class->dispose = ss_status_window_dispose;
  object_class->finalize = ss_status_window_finalize;

  properties[PROP_STATUS] = g_param_spec_object ("status", NULL, NULL, SS_TYPE_STATUS,
                                                 G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                 G_PARAM_STATIC_STRINGS);
  properties[PROP_STATS] = g_param_spec_object ("stats", NULL, NULL, SS_TYPE_STATS,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                G_PARAM_STATIC_STRINGS);
  properties[PROP_DEMO] = g_param_spec_boolean ("demo", NULL, NULL, FALSE,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER_KIND] = g_param_spec_string ("filter-kind", NULL, NULL, "all",
                                                      G_PARAM_READWRITE |
                                                      G_PARAM_STATIC_STRINGS |
                                                      G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SS_TYPE_VERDICT);
  g_type_ensure (SS_TYPE_VERDICT_ACTIONS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/example/SpamSieve/ui/ss-status-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, demo_banner);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, problem_banner);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, problem_title);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, problem_detail);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, problem_button);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, preparing_page);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, error_button);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, today_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, today_detail_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, total_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, total_detail_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, accuracy_detail_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, last_check_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, last_check_detail_label);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, SsStatusWindow, column_view);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, verdict_label);
  gtk_widget_class_bind_template_callback (widget_class, verdict_icon);
  gtk_widget_class_bind_template_callback (widget_class, verdict_css);
  gtk_widget_class_bind_template_callback (widget_class, destination_label);
  gtk_widget_class_bind_template_callback (widget_class, rules_tooltip);
  gtk_widget_class_bind_template_callback (widget_class, has_text);

  gtk_widget_class_install_property_action (widget_class, "win.filter", "filter-kind");
  gtk_widget_class_install_action (widget_class, "win.search", NULL, window_action);
  gtk_widget_class_install_action (widget_class, "win.mark-selected-spam", NULL, window_action);
  gtk_widget_class_install_action (widget_class, "win.mark-selected-ham", NULL, window_action);
}

static void
ss_status_window_init (SsStatusWindow *self)
{
  GtkExpression *params[2];
  GtkEveryFilter *every;

  self->filter_kind = g_strdup ("all");
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));

  params[0] = gtk_property_expression_new (SS_TYPE_VERDICT, NULL, "from");
  params[1] = gtk_property_expression_new (SS_TYPE_VERDICT, NULL, "subject");
  self->search_filter = gtk_string_filter_new (
      gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 2, params, G_CALLBACK (search_text),
                                   NULL, NULL));
  gtk_string_filter_set_match_mode (self->search_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  self->kind_filter = gtk_custom_filter_new (match_kind, self, NULL);
  every = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (every), GTK_FILTER (self->search_filter));
  gtk_multi_filter_append (GTK_MULTI_FILTER (every), GTK_FILTER (self->kind_filter));

  self->filter_model = gtk_filter_list_model_new (NULL, GTK_FILTER (every));
  g_signal_connect_swapped (self->filter_model, "items-changed", G_CALLBACK (on_rows_changed),
                            self);
  self->sort_model = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->filter_model)),
                                              g_object_ref (gtk_column_view_get_sorter (
                                                  self->column_view)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->sort_model));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  self->follow_top = TRUE;
  g_signal_connect_swapped (self->sort_model, "items-changed",
                            G_CALLBACK (on_sorted_items_changed), self);
}

SsStatusWindow *
ss_status_window_new (GtkApplication *application,
                      SsStatus       *status,
                      SsStats        *stats,
                      gboolean        demo)
{
  SsStatusWindow *self = g_object_new (SS_TYPE_STATUS_WINDOW,
                                       "application", application,
                                       "status", status,
                                       "stats", stats,
                                       "demo", demo,
                                       NULL);

  /* The primary menu is the app's (gtk/menus.ui), shared with the tray. */
  gtk_menu_button_set_menu_model (self->menu_button, G_MENU_MODEL (
      gtk_application_get_menu_by_id (application, "primary-menu")));
  return self;
}

void
ss_status_window_add_toast (SsStatusWindow *self,
                            AdwToast       *toast)
{
  g_return_if_fail (SS_IS_STATUS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

GListModel *
ss_status_window_get_rows (SsStatusWindow *self)
{
  g_return_val_if_fail (SS_IS_STATUS_WINDOW (self), NULL);
  return G_LIST_MODEL (self->sort_model);
}

const char *
ss_status_window_get_page (SsStatusWindow *self)
{
  g_return_val_if_fail (SS_IS_STATUS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

static void
on_account_selected (SsStatusWindow *self)
{
  guint i = gtk_drop_down_get_selected (self->account_dropdown);

  if (self->updating_accounts || i >= self->account_ids->len)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "app.show-account", "s",
                              g_ptr_array_index (self->account_ids, i));
}

/* Labels that ellipsize: the header keeps its 360 px minimum with long account names. */
static void
setup_label (GtkSignalListItemFactory *factory,
             GtkListItem              *item)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
bind_label (GtkSignalListItemFactory *factory,
            GtkListItem              *item)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      gtk_string_object_get_string (string));
}

static void
ensure_dropdown (SsStatusWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  if (self->account_dropdown != NULL)
    return;
  self->account_labels = gtk_string_list_new (NULL);
  self->account_ids = g_ptr_array_new_with_free_func (g_free);
  self->account_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (
      G_LIST_MODEL (self->account_labels), NULL));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->account_dropdown), _("Account shown"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->account_dropdown),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Account shown"), -1);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_label), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_label), NULL);
  gtk_drop_down_set_factory (self->account_dropdown, factory);
  gtk_widget_add_css_class (GTK_WIDGET (self->account_dropdown), "flat");
  g_signal_connect_swapped (self->account_dropdown, "notify::selected",
                            G_CALLBACK (on_account_selected), self);
  adw_header_bar_set_title_widget (self->header_bar, GTK_WIDGET (self->account_dropdown));
}

/* labels: NULL-terminated */
static gboolean
labels_equal (GtkStringList *list,
              GPtrArray     *labels)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

  if (n + 1 != labels->len)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (list, i), g_ptr_array_index (labels, i)) != 0)
      return FALSE;
  return TRUE;
}

void
ss_status_window_set_accounts (SsStatusWindow *self,
                               GListModel     *accounts)
{
  guint n, selected = 0;
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);

  g_return_if_fail (SS_IS_STATUS_WINDOW (self));
  n = g_list_model_get_n_items (accounts);
  if (n < 2)
    {
      if (self->account_dropdown != NULL)
        adw_header_bar_set_title_widget (self->header_bar, GTK_WIDGET (self->window_title));
      self->account_dropdown = NULL;
      self->account_labels = NULL;
      g_clear_pointer (&self->account_ids, g_ptr_array_unref);
      return;
    }
  ensure_dropdown (self);
  self->updating_accounts = TRUE;
  g_ptr_array_set_size (self->account_ids, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsAccount) account = g_list_model_get_item (accounts, i);

      g_ptr_array_add (labels, ss_account_dup_label (account));
      g_ptr_array_add (self->account_ids, g_strdup (ss_account_get_id (account)));
      if (ss_account_get_status (account) == self->status)
        selected = i;
    }
  g_ptr_array_add (labels, NULL);
  if (!labels_equal (self->account_labels, labels))
    gtk_string_list_splice (self->account_labels, 0,
                            g_list_model_get_n_items (G_LIST_MODEL (self->account_labels)),
                            (const char * const *) labels->pdata);
  gtk_drop_down_set_selected (self->account_dropdown, selected);
  self->updating_accounts = FALSE;
}

void
ss_status_window_show_account (SsStatusWindow *self,
                               SsStatus       *status,
                               SsStats        *stats)
{
  g_return_if_fail (SS_IS_STATUS_WINDOW (self));
  g_return_if_fail (SS_IS_STATUS (status) && SS_IS_STATS (stats));

  if (status == self->status)
    return;
  for (guint i = 0; i < self->bindings->len; i++)
    g_binding_unbind (g_ptr_array_index (self->bindings, i));
  g_ptr_array_set_size (self->bindings, 0);
  g_signal_handlers_disconnect_by_data (self->status, self);
  g_set_object (&self->status, status);
  g_set_object (&self->stats, stats);
  bind_status (self);
  g_signal_connect_object (self->status, "notify", G_CALLBACK (on_status_notify), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status, "notify::session", G_CALLBACK (on_session_changed),
                           self, G_CONNECT_SWAPPED);
  on_session_changed (self);
  on_status_notify (self);
}

SsStatus *
ss_status_window_get_status (SsStatusWindow *self)
{
  g_return_val_if_fail (SS_IS_STATUS_WINDOW (self), NULL);
  return self->status;
}
