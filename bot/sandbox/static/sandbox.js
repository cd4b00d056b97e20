// The sandbox page: one chat column per person, fed by the server's WebSocket, acting through /api.
"use strict";

const LABELS = {
  zh: {
    title: "红色物业沙盒", person: "人员", open: "打开对话", community: "小区", join: "新居民扫码加入",
    clock: "机器人时间", hour: "+1 小时", day: "+1 天", week: "+1 周", quarter: "到季度末",
    send: "发送", photo: "照片", sample: "示例照片", message: "消息", empty: "从上方选择一个人，或让新居民加入小区。",
    close: "关闭 {name} 的对话", language: "{name} 的 Telegram 语言", resident: "居民", edited: "已编辑",
    notImage: "这不是图片：只能发送照片。", ok: "好", location: "📍 位置", contact: "☎ 联系方式", download: "下载",
    pageLanguage: "English", failed: "没有送达：{error}",
    office_admin: "街道物业办", instructor: "党建指导员", enterprise_staff: "物业企业",
    party_committee: "社区党委", owners_committee: "业委会",
  },
  en: {
    title: "Red Property sandbox", person: "Person", open: "Open chat", community: "Community",
    join: "New resident joins", clock: "Bot time", hour: "+1 hour", day: "+1 day", week: "+1 week",
    quarter: "To quarter end", send: "Send", photo: "Photo", sample: "Sample photo", message: "Message",
    empty: "Choose a person above, or let a new resident join a community.", close: "Close {name}'s chat",
    language: "{name}'s Telegram language", resident: "Resident", edited: "edited",
    notImage: "Not an image: only photos can be sent.", ok: "OK", location: "📍 Location",
    contact: "☎ Contact", download: "Download", pageLanguage: "中文", failed: "Not delivered: {error}",
    office_admin: "street office", instructor: "instructor", enterprise_staff: "enterprise staff",
    party_committee: "party committee", owners_committee: "owners' committee",
  },
};
let pageLanguage = localStorage.getItem("sandbox-language") || "zh";
const t = (key, params = {}) =>
  (LABELS[pageLanguage][key] || key).replace(/\{(\w+)\}/g, (_, name) => params[name] ?? "");

const columns = new Map(); // chat id -> column
const events = new Map(); // chat id -> events so far, replayed into a column opened later
let cast = { people: [], communities: [], first_resident_id: 990000001 };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

async function post(path, body) {
  const answer = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return answer.ok ? answer.json() : Promise.reject(new Error((await answer.json()).error || answer.status));
}

// --- columns ------------------------------------------------------------------------------

function openColumn(person, firstText) {
  if (columns.has(person.id)) return columns.get(person.id).section.scrollIntoView();
  const section = document.getElementById("column").content.firstElementChild.cloneNode(true);
  const column = { person, section, log: section.querySelector(".log"), messages: new Map() };
  section.dataset.chat = person.id;
  section.setAttribute("aria-label", person.first_name);
  section.querySelector(".name").textContent = person.first_name;
  section.querySelector(".role").textContent = person.role ? `${t(person.role)} · ${person.where}` : person.where;
  const lang = section.querySelector(".lang");
  lang.value = person.language_code;
  lang.addEventListener("change", () => { person.language_code = lang.value; save(); });
  section.querySelector(".close").addEventListener("click", () => closeColumn(person.id));
  const text = section.querySelector(".text");
  section.querySelector(".compose").addEventListener("submit", (event) => {
    event.preventDefault();
    if (text.value.trim()) act(column, { action: "send", text: text.value });
    text.value = "";
  });
  const file = section.querySelector(".file");
  section.querySelector(".photo").addEventListener("click", () => file.click());
  file.addEventListener("change", () => { if (file.files[0]) upload(column, file.files[0]); file.value = ""; });
  section.querySelector(".sample").addEventListener("click", () => upload(column, null));
  columns.set(person.id, column);
  document.getElementById("columns").append(section);
  label(section);
  (events.get(person.id) || []).forEach((event) => show(column, event));
  save();
  section.scrollIntoView();
  if (firstText) act(column, { action: "send", text: firstText });
}

function closeColumn(id) {
  columns.get(id)?.section.remove();
  columns.delete(id);
  save();
}

function save() {
  localStorage.setItem("sandbox-people", JSON.stringify([...columns.values()].map((column) => column.person)));
}

function user(column) {
  const { id, first_name, language_code } = column.person;
  return { id, first_name, language_code };
}

function act(column, body) {
  return post("/api/act", { user: user(column), ...body }).catch((error) => toast(column, t("failed", { error: error.message }), "error"));
}

async function upload(column, file) {
  if (file && !file.type.startsWith("image/")) return toast(column, t("notImage"), "error");
  const form = new FormData();
  form.append("user", JSON.stringify(user(column)));
  if (file) form.append("file", file);
  const answer = await fetch("/api/photo", { method: "POST", body: form });
  if (!answer.ok) toast(column, t("notImage"), "error");
}

function toast(column, text, kind = "") {
  const box = column.section.querySelector(".toasts");
  const note = el("div", { className: `toast ${kind}`, textContent: text });
  if (kind === "alert") {
    note.setAttribute("role", "alertdialog");
    note.setAttribute("aria-label", text);
    note.append(" ", el("button", { type: "button", textContent: t("ok"), onclick: () => note.remove() }));
  } else {
    setTimeout(() => note.remove(), 4000);
  }
  box.replaceChildren(note);
}

// --- what the bot and the person said -------------------------------------------------------

function remember(event) {
  const list = events.get(event.chat_id) || [];
  list.push(event);
  events.set(event.chat_id, list);
  const column = columns.get(event.chat_id);
  if (column) show(column, event);
}

function show(column, event) {
  if (event.kind === "message") {
    event.messages.forEach((message) => add(column, message, false));
    if (event.keyboard) replyKeyboard(column, event.keyboard);
  } else if (event.kind === "mine") {
    add(column, event.message, true);
  } else if (event.kind === "edit") {
    edit(column, event.message, event.method);
  } else if (event.kind === "delete") {
    column.messages.get(event.message_id)?.item.remove();
  } else if (event.kind === "answer") {
    toast(column, event.text, event.alert ? "alert" : "");
  }
}

function body(column, message, mine) {
  const parts = [];
  if (message.photo) {
    const id = message.photo[message.photo.length - 1].file_id;
    parts.push(el("img", { src: `/files/${encodeURIComponent(id)}`, alt: message.caption || t("photo") }));
  }
  if (message.document) {
    const { file_id, file_name } = message.document;
    parts.push(el("a", { href: `/files/${encodeURIComponent(file_id)}`, download: file_name, textContent: `📎 ${file_name}` }));
  }
  if (message.location) parts.push(el("div", { textContent: t("location") }));
  if (message.contact) parts.push(el("div", { textContent: `${t("contact")} ${message.contact.phone_number}` }));
  const text = message.text ?? message.caption;
  if (text) parts.push(el("div", { className: "text", textContent: text }));
  if (!mine && message.reply_markup?.inline_keyboard) parts.push(inlineKeyboard(column, message));
  return parts;
}

function add(column, message, mine) {
  const item = el("li", { className: mine ? "msg mine" : "msg" }, ...body(column, message, mine));
  item.dataset.messageId = message.message_id;
  if (!mine) column.messages.set(message.message_id, { item, message });
  column.log.append(item);
  label(item);
  column.log.scrollTop = column.log.scrollHeight;
}

function edit(column, change, method) {
  const known = column.messages.get(change.message_id);
  if (!known) return add(column, change, false);
  const message = { ...known.message };
  if (method !== "editMessageReplyMarkup") Object.assign(message, "text" in change ? { text: change.text } : { caption: change.caption });
  if (change.reply_markup) message.reply_markup = change.reply_markup; else delete message.reply_markup;
  known.message = message;
  known.item.replaceChildren(...body(column, message, false), el("div", { className: "edited", textContent: t("edited") }));
  label(known.item);
}

function inlineKeyboard(column, message) {
  const rows = message.reply_markup.inline_keyboard.map((row) => el("div", { className: "row" }, ...row.map((button) =>
    button.url
      ? el("a", { href: button.url, textContent: button.text, target: "_blank", rel: "noopener" })
      : el("button", { type: "button", textContent: button.text, onclick: () => act(column, { action: "tap", data: button.callback_data, message: column.messages.get(message.message_id)?.message || message }) }))));
  return el("div", { className: "inline" }, ...rows);
}

function replyKeyboard(column, markup) {
  const area = column.section.querySelector(".reply-keyboard");
  if (!markup.keyboard) return area.replaceChildren();
  area.replaceChildren(...markup.keyboard.map((row) => el("div", { className: "row" }, ...row.map((key) => {
    const text = typeof key === "string" ? key : key.text;
    return el("button", { type: "button", textContent: text, onclick: () => {
      if (markup.one_time_keyboard) area.replaceChildren();
      if (key.request_location) act(column, { action: "location" });
      else if (key.request_contact) act(column, { action: "contact" });
      else act(column, { action: "send", text });
    } });
  }))));
}

// --- the bar ------------------------------------------------------------------------------

function label(root) {
  root.querySelectorAll("[data-l]").forEach((node) => { node.textContent = t(node.dataset.l); });
  root.querySelectorAll?.(".phone").forEach((section) => labelColumn(section));
  if (root.classList?.contains("phone")) labelColumn(root);
}

function labelColumn(section) {
  const name = section.querySelector(".name").textContent;
  section.querySelector(".close").setAttribute("aria-label", t("close", { name }));
  section.querySelector(".lang").setAttribute("aria-label", t("language", { name }));
  section.querySelector(".text").setAttribute("aria-label", t("message"));
  section.querySelector(".text").placeholder = t("message");
}

function fillBar() {
  const person = document.getElementById("person");
  person.setAttribute("aria-label", t("person"));
  person.replaceChildren(...cast.people.map((p, index) =>
    el("option", { value: index, textContent: `${p.name} · ${t(p.role)} · ${p.where}` })));
  const community = document.getElementById("community");
  community.replaceChildren(...cast.communities.map((c) => el("option", { value: c.code, textContent: c.name })));
  const toggle = document.getElementById("page-language");
  toggle.textContent = t("pageLanguage");
  toggle.setAttribute("aria-label", pageLanguage === "zh" ? "Switch the page to English" : "页面切换为中文");
  document.documentElement.lang = pageLanguage === "zh" ? "zh-CN" : "en";
  label(document.body);
}

function setup() {
  document.getElementById("open").addEventListener("click", () => {
    const p = cast.people[document.getElementById("person").value];
    if (p) openColumn({ id: p.telegram_id, first_name: p.name, role: p.role, where: p.where, language_code: "zh-hans" });
  });
  document.getElementById("join").addEventListener("click", () => {
    const select = document.getElementById("community");
    const code = select.value;
    const ids = [...columns.keys()].filter((id) => id >= cast.first_resident_id);
    const id = Math.max(cast.first_resident_id - 1, ...ids, Number(localStorage.getItem("sandbox-last-resident") || 0)) + 1;
    localStorage.setItem("sandbox-last-resident", id);
    const name = `${t("resident")}${id - cast.first_resident_id + 1}`;
    const where = select.selectedOptions[0].textContent;
    openColumn({ id, first_name: name, role: "", where, language_code: "zh-hans" }, `/start c-${code}`);
  });
  document.querySelectorAll("[data-step]").forEach((button) =>
    button.addEventListener("click", () => post("/api/clock", { step: button.dataset.step }).then(showClock)));
  document.getElementById("page-language").addEventListener("click", () => {
    pageLanguage = pageLanguage === "zh" ? "en" : "zh";
    localStorage.setItem("sandbox-language", pageLanguage);
    fillBar();
  });
}

function showClock(event) {
  document.getElementById("clock").textContent = event.now;
}

function listen() {
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.kind === "clock") showClock(event); else remember(event);
  });
  socket.addEventListener("close", () => setTimeout(() => { events.clear(); columns.forEach((c) => { c.log.replaceChildren(); c.messages.clear(); }); listen(); }, 1000));
}

async function main() {
  cast = await (await fetch("/api/cast")).json();
  showClock(cast.clock);
  setup();
  fillBar();
  JSON.parse(localStorage.getItem("sandbox-people") || "[]").forEach((person) => openColumn(person));
  listen();
}

main();
