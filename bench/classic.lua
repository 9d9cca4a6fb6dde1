-- classic.lua: the classic imapfilter + spamc recipe that SpamSieve replaces, for bench/run.
-- Unseen messages in Unfiltered, in chunks of 32: each message is fetched, piped through
-- spamc (pipe_to), and the result (spamc's output, with SpamAssassin's headers) is appended
-- to Spam when it says "X-Spam-Flag: YES", else to INBOX; the originals are marked seen and
-- stay in Unfiltered (the classic recipe copies, it does not move).
-- imapfilter runs one command at a time: one message is with spamd at any moment.
-- Settings come from the environment (bench/run sets them):
--   BENCH_IMAP_PORT, BENCH_IMAP_USER, BENCH_IMAP_PASSWORD, BENCH_SPAMD_PORT, BENCH_TMP
-- Run as: imapfilter -t CA_FILE -c classic.lua   (-t: trust the test CA; STARTTLS is used)

options.timeout = 120
options.info = false
options.certificates = true
options.starttls = true
options.create = false
options.subscribe = false

local chunk_size = 32
local spamc = 'spamc -d 127.0.0.1 -p ' .. os.getenv('BENCH_SPAMD_PORT')
local out_file = os.getenv('BENCH_TMP') .. '/spamc-out.eml'

local account = IMAP {
  server = '127.0.0.1',
  port = tonumber(os.getenv('BENCH_IMAP_PORT')),
  username = os.getenv('BENCH_IMAP_USER'),
  password = os.getenv('BENCH_IMAP_PASSWORD'),
}

local unfiltered = account['Unfiltered']
local spam = account['Spam']
local inbox = account['INBOX']

local function read_file(path)
  local f = assert(io.open(path, 'rb'))
  local text = f:read('*a')
  f:close()
  return text
end

local unseen = unfiltered:is_unseen()
local n_spam, n_ham = 0, 0
for first = 1, #unseen, chunk_size do
  local chunk = Set {}
  for i = first, math.min(first + chunk_size - 1, #unseen) do
    table.insert(chunk, unseen[i])
  end
  local texts = unfiltered:fetch_message(chunk)
  for _, m in ipairs(chunk) do
    local _, uid = table.unpack(m)
    local text = texts[uid]
    if text ~= nil then
      pipe_to(spamc .. ' > ' .. out_file, text)
      local scanned = read_file(out_file)
      local head = scanned:match('^(.-)\r?\n\r?\n') or scanned
      if head:match('\nX%-Spam%-Flag: YES') then
        spam:append_message(scanned)
        n_spam = n_spam + 1
      else
        inbox:append_message(scanned)
        n_ham = n_ham + 1
      end
    end
  end
  chunk:mark_seen()
end
print(string.format('classic: %d spam, %d ham', n_spam, n_ham))
