#!/usr/bin/python3
"""A stand-in for goa-daemon on the session bus: one Google mail account (OAuth2) whose IMAP
server is the test's dovecot. Usage: goa_stub.py STATE_DIR IMAP_HOST USER

STATE_DIR/tokens holds access tokens, one a line: GetAccessToken returns the current one,
EnsureCredentials moves to the next (a refresh). Missing file: NotAuthorized. Each call is
counted in STATE_DIR/calls ("get N ensure M")."""
import os
import signal
import sys

import gi
gi.require_version('Goa', '1.0')
from gi.repository import Gio, GLib, Goa  # noqa: E402

os.closerange(3, 65536)
state, imap_host, user = sys.argv[1], sys.argv[2], sys.argv[3]
counts = {'get': 0, 'ensure': 0, 'index': 0}


def save_counts():
    with open(os.path.join(state, 'calls.tmp'), 'w') as f:
        f.write('get %d ensure %d\n' % (counts['get'], counts['ensure']))
    os.rename(os.path.join(state, 'calls.tmp'), os.path.join(state, 'calls'))


def current_token():
    try:
        with open(os.path.join(state, 'tokens')) as f:
            tokens = [line.strip() for line in f if line.strip()]
    except OSError:
        return None
    if not tokens:
        return None
    return tokens[min(counts['index'], len(tokens) - 1)]


def on_get_token(iface, invocation):
    counts['get'] += 1
    save_counts()
    token = current_token()
    if token is None:
        invocation.return_dbus_error('org.gnome.OnlineAccounts.Error.NotAuthorized',
                                     'The account needs to be signed in again')
    else:
        iface.complete_get_access_token(invocation, token, 3600)
    return True


def on_ensure(iface, invocation):
    counts['ensure'] += 1
    counts['index'] += 1
    save_counts()
    if current_token() is None:
        invocation.return_dbus_error('org.gnome.OnlineAccounts.Error.NotAuthorized',
                                     'The account needs to be signed in again')
    else:
        iface.complete_ensure_credentials(invocation, 3600)
    return True


server = Gio.DBusObjectManagerServer.new('/org/gnome/OnlineAccounts')
obj = Goa.ObjectSkeleton.new('/org/gnome/OnlineAccounts/Accounts/account_1')
email = user + '@example.org'
acc = Goa.AccountSkeleton(id='account_1', provider_type='google', provider_name='Google',
                          identity=email, presentation_identity=email)
acc.connect('handle-ensure-credentials', on_ensure)
mail = Goa.MailSkeleton(email_address=email, imap_supported=True, imap_host=imap_host,
                        imap_user_name=user, imap_use_ssl=False, imap_use_tls=True)
oauth = Goa.OAuth2BasedSkeleton()
oauth.connect('handle-get-access-token', on_get_token)
obj.set_account(acc)
obj.set_mail(mail)
obj.set_oauth2_based(oauth)
server.export(obj)
# An account without mail: must not be offered.
other = Goa.ObjectSkeleton.new('/org/gnome/OnlineAccounts/Accounts/account_2')
other.set_account(Goa.AccountSkeleton(id='account_2', provider_type='owncloud',
                                      provider_name='Nextcloud', identity='files',
                                      presentation_identity='files'))
server.export(other)
save_counts()

loop = GLib.MainLoop()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
Gio.bus_own_name(Gio.BusType.SESSION, 'org.gnome.OnlineAccounts', Gio.BusNameOwnerFlags.NONE,
                 lambda c, n: server.set_connection(c), None, lambda c, n: loop.quit())
loop.run()
