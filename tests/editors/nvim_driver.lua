-- Drives real headless Neovim against `isolint server`, the way a user's config does:
-- editors/nvim is put on 'runtimepath' and the server is enabled by name, so the shipped
-- lsp/isolint.lua is what gets used. Run as `nvim -l nvim_driver.lua SPEC.json RESULT.json`.
--
-- The driver only observes and acts; it writes what it saw to RESULT.json and the pytest
-- side judges it. Every wait is a vim.wait on a condition, and a watchdog ends Neovim
-- whatever happens, because a stuck headless Neovim never exits on its own.

local spec_path, result_path = arg[1], arg[2]
local spec = vim.json.decode(table.concat(vim.fn.readfile(spec_path), '\n'))
local result = { stage = 'start' }

local function write_result()
  vim.fn.writefile({ vim.json.encode(result) }, result_path)
end

local watchdog = vim.uv.new_timer()
watchdog:start(spec.watchdog_ms, 0, function()
  result.error = 'watchdog fired during stage ' .. result.stage
  vim.schedule(function()
    write_result()
    os.exit(3)
  end)
end)

local function wait_for(stage, condition)
  result.stage = stage
  if not vim.wait(spec.wait_ms, condition, 20) then
    error('timed out waiting for ' .. stage, 0)
  end
end

local function isolint_client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'isolint' })[1]
end

local function isolint_diagnostics(bufnr)
  local client = isolint_client(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if client and (d.source == 'isolint' or d.namespace == vim.lsp.diagnostic.get_namespace(client.id)) then
      table.insert(found, { code = d.code, lnum = d.lnum, col = d.col, severity = d.severity, message = d.message })
    end
  end
  return found
end

local function has_diagnostic(bufnr, code, lnum)
  for _, d in ipairs(isolint_diagnostics(bufnr)) do
    if d.code == code and d.lnum == lnum then
      return true
    end
  end
  return false
end

-- What the user is told: vim.notify, which vim.lsp.start uses when a client cannot start.
result.notifications = {}
local notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(result.notifications, { message = message, level = level })
  return notify(message, level, opts)
end

local function run_checkhealth()
  result.stage = 'checkhealth'
  vim.cmd('checkhealth isolint')
  result.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

local function run()
  vim.opt.runtimepath:prepend(spec.runtimepath)
  vim.cmd('filetype on')
  if spec.lsp_log then
    -- Info and up, so that the server's ordinary log messages are in it too.
    vim.lsp.log.set_level('INFO')
  end
  if spec.cmd then
    vim.lsp.config('isolint', { cmd = spec.cmd })
  end
  if spec.settings then
    vim.lsp.config('isolint', { settings = { isolint = spec.settings } })
  end
  vim.lsp.enable('isolint')

  -- Count diagnostic updates so that "no findings" can be told apart from "not reported yet".
  local diagnostic_updates = 0
  vim.api.nvim_create_autocmd('DiagnosticChanged', {
    callback = function()
      diagnostic_updates = diagnostic_updates + 1
    end,
  })

  vim.cmd.edit(vim.fn.fnameescape(spec.file))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype

  if spec.health_only then
    run_checkhealth()
    result.stage = 'done'
    return
  end

  if spec.expect_start_failure then
    wait_for('start failure notification', function()
      return #result.notifications > 0
    end)
    result.clients = #vim.lsp.get_clients({ name = 'isolint' })
    if spec.health then
      run_checkhealth()
    end
    result.stage = 'done'
    return
  end

  wait_for('attach', function()
    return isolint_client(bufnr) ~= nil and isolint_client(bufnr).initialized
  end)
  local client = isolint_client(bufnr)
  result.client_name = client.name
  result.root_dir = client.root_dir
  result.server_name = client.server_info and client.server_info.name

  wait_for('first diagnostics', function()
    if spec.expect_any_diagnostic then
      return #isolint_diagnostics(bufnr) > 0
    end
    return diagnostic_updates > 0
  end)
  result.diagnostics = isolint_diagnostics(bufnr)

  if spec.fix then
    local fix = spec.fix
    wait_for('diagnostic to fix', function()
      return has_diagnostic(bufnr, fix.code, fix.lnum)
    end)
    vim.api.nvim_win_set_cursor(0, { fix.lnum + 1, 0 })
    local tick_before = vim.b[bufnr].changedtick

    result.stage = 'list code actions'
    local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
    -- fix.only narrows to a kind (source.fixAll.isolint), as a fix-all mapping would.
    local only = fix.only and { fix.only } or nil
    params.context = { diagnostics = vim.lsp.diagnostic.from(vim.diagnostic.get(bufnr, { lnum = fix.lnum })), only = only, triggerKind = 1 }
    local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, spec.wait_ms) or {}
    result.action_titles = {}
    for _, response in pairs(responses) do
      for _, action in ipairs(response.result or {}) do
        table.insert(result.action_titles, action.title)
      end
    end

    local function wanted(action)
      if fix.title then
        return action.title == fix.title
      end
      return action.kind == fix.only
    end

    local offered = false
    for _, response in pairs(responses) do
      offered = offered or vim.iter(response.result or {}):any(wanted)
    end
    if not offered then
      error('the server offered no wanted code action: ' .. vim.inspect(fix), 0)
    end

    result.stage = 'apply quick fix'
    vim.lsp.buf.code_action({ apply = true, context = { only = only }, filter = wanted })
    wait_for('quick fix edit', function()
      return vim.b[bufnr].changedtick ~= tick_before
    end)
    local updates_at_edit = diagnostic_updates
    result.text_after_fix = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, true), '\n') .. '\n'

    -- Only a report made after the edit counts: the old one may still hold the finding.
    wait_for('diagnostic to clear', function()
      return diagnostic_updates > updates_at_edit and not has_diagnostic(bufnr, fix.code, fix.lnum)
    end)
    result.diagnostics_after_fix = isolint_diagnostics(bufnr)
  end

  if spec.health then
    run_checkhealth()
  end
  result.stage = 'done'
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  result.error = tostring(err)
end
watchdog:stop()
for _, client in ipairs(vim.lsp.get_clients()) do
  client:stop()
end
if spec.lsp_log then
  -- After the clients stopped: whatever the server wrote to stderr until it exited is in.
  vim.wait(spec.wait_ms, function()
    return #vim.lsp.get_clients() == 0
  end, 20)
  result.lsp_log = vim.fn.readfile(vim.lsp.log.get_filename())
end
write_result()
os.exit(ok and 0 or 2)
