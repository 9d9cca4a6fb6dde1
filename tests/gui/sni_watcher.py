'''org.kde.StatusNotifierWatcher stand-in (python-dbusmock template) for SpamSieve's tray tests

Registered items are kept in the RegisteredStatusNotifierItems property, in order, and
announced with StatusNotifierItemRegistered, as a real watcher (e.g. KDE's or the GNOME
AppIndicator extension's) does. Use: /usr/bin/python3 -m dbusmock --template sni_watcher.py
'''

import dbus

BUS_NAME = 'org.kde.StatusNotifierWatcher'
MAIN_OBJ = '/StatusNotifierWatcher'
MAIN_IFACE = 'org.kde.StatusNotifierWatcher'
SYSTEM_BUS = False


def register_item(self, service):
    items = list(self.Get(MAIN_IFACE, 'RegisteredStatusNotifierItems'))
    if service not in items:
        items.append(service)
    self.Set(MAIN_IFACE, 'RegisteredStatusNotifierItems', dbus.Array(items, signature='s'))
    self.EmitSignal(MAIN_IFACE, 'StatusNotifierItemRegistered', 's', [service])


def register_host(self, service):
    self.EmitSignal(MAIN_IFACE, 'StatusNotifierHostRegistered', '', [])


def load(mock, parameters):
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({
        'RegisteredStatusNotifierItems': dbus.Array([], signature='s'),
        'IsStatusNotifierHostRegistered': dbus.Boolean(True),
        'ProtocolVersion': dbus.Int32(0),
    }, signature='sv'))
    mock.AddMethods(MAIN_IFACE, [
        ('RegisterStatusNotifierItem', 's', '', register_item),
        ('RegisterStatusNotifierHost', 's', '', register_host),
    ])
