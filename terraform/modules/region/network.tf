# The region's network: one VPC over three zones. Public subnets hold only what faces the
# internet (the edges' load balancer, and the NAT gateways through which the cores reach the
# partners); edges, cores and database nodes live in private subnets of their own, so that other
# regions' rules can name each tier's ranges.

locals {
  # The VPC range in 16 blocks: block 0 is cut into the three public subnets, blocks 1-3 are the
  # edges', 4-6 the cores', 7-9 the database nodes'; 10-15 are left for later tiers.
  public_block = cidrsubnet(var.vpc_cidr, 4, 0)
  subnets = {
    public   = [for i in range(3) : cidrsubnet(local.public_block, 4, i)]
    edge     = [for i in range(3) : cidrsubnet(var.vpc_cidr, 4, 1 + i)]
    core     = [for i in range(3) : cidrsubnet(var.vpc_cidr, 4, 4 + i)]
    database = [for i in range(3) : cidrsubnet(var.vpc_cidr, 4, 7 + i)]
  }
  private_tiers = ["edge", "core", "database"]

  private_subnets = merge([
    for tier in local.private_tiers : {
      for i, cidr in local.subnets[tier] : "${tier}-${i}" => { tier = tier, zone = i, cidr = cidr }
    }
  ]...)

  # Other regions' ranges, routed over the core network.
  peer_cidrs = var.core_network == null ? {} : { for p in var.peers : p.name => p.vpc_cidr }
  peer_routes = merge([
    for i in range(3) : { for name, cidr in local.peer_cidrs : "${i}-${name}" => { zone = i, cidr = cidr } }
  ]...)
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(local.tags, { Name = local.prefix })

  lifecycle {
    precondition {
      condition     = var.regions_dir == null || local.region_file_id == var.name
      error_message = "regions/${var.name}/region.toml is missing, or its id is not \"${var.name}\"."
    }
  }
}

# The default security group allows nothing: every interface names its own group.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-default-closed" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = local.prefix })
}

resource "aws_subnet" "public" {
  count = 3

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = local.subnets.public[count.index]
  map_public_ip_on_launch = false

  tags = merge(local.tags, { Name = "${local.prefix}-public-${local.azs[count.index]}", Tier = "public" })
}

resource "aws_subnet" "private" {
  for_each = local.private_subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[each.value.zone]
  cidr_block              = each.value.cidr
  map_public_ip_on_launch = false

  tags = merge(local.tags, { Name = "${local.prefix}-${each.value.tier}-${local.azs[each.value.zone]}", Tier = each.value.tier })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = 3

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One NAT gateway per zone, so that losing a zone does not cut the others off the partners.
resource "aws_eip" "nat" {
  count = 3

  domain = "vpc"

  tags = merge(local.tags, { Name = "${local.prefix}-nat-${local.azs[count.index]}" })
}

resource "aws_nat_gateway" "this" {
  count = 3

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(local.tags, { Name = "${local.prefix}-${local.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

# One private route table per zone, shared by the zone's edge, core and database subnets.
resource "aws_route_table" "private" {
  count = 3

  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-private-${local.azs[count.index]}" })
}

resource "aws_route" "private_internet" {
  count = 3

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[count.index].id
}

resource "aws_route" "peers" {
  for_each = local.peer_routes

  route_table_id         = aws_route_table.private[each.value.zone].id
  destination_cidr_block = each.value.cidr
  core_network_arn       = var.core_network.arn

  depends_on = [aws_networkmanager_vpc_attachment.this]
}

resource "aws_route_table_association" "private" {
  for_each = local.private_subnets

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.value.zone].id
}

# Backups and image downloads reach S3 without the NAT gateways.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.aws_region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = merge(local.tags, { Name = "${local.prefix}-s3" })
}

# The link to the other regions: the VPC joins the platform's Cloud WAN core network (segment
# "platform", chosen by the tag) through its database subnets.
resource "aws_networkmanager_vpc_attachment" "this" {
  count = var.core_network == null ? 0 : 1

  core_network_id = var.core_network.id
  vpc_arn         = aws_vpc.this.arn
  subnet_arns     = [for i in range(3) : aws_subnet.private["database-${i}"].arn]

  tags = merge(local.tags, { Name = local.prefix, segment = "platform" })
}

# Flow logs of every interface, accepted and rejected, to an encrypted log group.
resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.this["flow-logs"].arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60

  tags = merge(local.tags, { Name = local.prefix })
}
